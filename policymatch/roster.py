"""免申即享 公示名单: the eligible, granted firms of ``auto`` items, as Excel (for officials) or CSV.

Why from the database alone: the batch job snapshots each item's metadata (apply_mode,
benefit, condition wording) and names the matched firms, so a roster can be produced
and re-produced later without the registry or the rule files.

>>> ROSTER_COLUMNS[:3]
('序号', '统一社会信用代码', '企业名称')
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InputError, StoreError
from .store import Store

__all__ = ["roster", "RosterSummary", "ROSTER_COLUMNS", "region_name"]

ROSTER_COLUMNS: tuple[str, ...] = (
    "序号",
    "统一社会信用代码",
    "企业名称",
    "所在区县",
    "政策",
    "事项",
    "兑现金额（元）",
    "认定依据",
)
#: Excel column widths (characters), in ROSTER_COLUMNS order
_WIDTHS = (6, 22, 34, 16, 36, 28, 16, 60)
_AMOUNT_FORMAT = "#,##0"

_SQL = """
SELECT m.uscc, f.name, f.region, m.policy_id, m.item_id, m.amount,
       i.title, i.name AS item_name, i.conditions
FROM matches m JOIN items i ON i.policy_id = m.policy_id AND i.item_id = m.item_id
LEFT JOIN match_firms f ON f.uscc = m.uscc
WHERE m.status = 'eligible' AND m.granted = 1 AND i.apply_mode = 'auto' AND m.policy_id = ? {item_filter}
ORDER BY f.region, m.uscc, m.item_id
"""


@lru_cache(maxsize=1)
def _region_table() -> dict[str, str]:
    from .reference import regions

    df = regions()
    names = {str(k): str(v) for k, v in df["name"].items()}
    # a county is shown with its prefecture (太原市小店区): officials read districts that way
    for code, parent, level in zip(df.index, df["parent_code"], df["level"], strict=True):
        if level == "county" and isinstance(parent, str) and parent in names and not parent.endswith("0000"):
            names[str(code)] = names[parent] + names[str(code)]
    return names


def region_name(code: str | None) -> str:
    """行政区划代码 → its name (the code itself when unknown, empty for missing).

    >>> region_name("140105"), region_name(None)
    ('太原市小店区', '')
    """
    if not code:
        return ""
    return _region_table().get(str(code), str(code))


@dataclass
class RosterSummary:
    """What was written: rows, total amount, the file."""

    out: str
    policy_id: str
    item_id: str | None
    n_rows: int
    total_amount: int
    n_without_amount: int

    def to_text(self) -> str:
        what = f"{self.policy_id}:{self.item_id}" if self.item_id else self.policy_id
        extra = f"（另有 {self.n_without_amount} 家金额待核定）" if self.n_without_amount else ""
        return f"免申即享公示名单 {what}：{self.n_rows} 家企业，兑现金额合计 {self.total_amount:,} 元{extra} → {self.out}"


def _rows(store: Store, policy_id: str, item_id: str | None) -> tuple[list[list], str]:
    auto = list(
        store.db.query(
            "SELECT item_id, apply_mode, title FROM items WHERE policy_id = ?" + (" AND item_id = ?" if item_id else ""),
            [policy_id, item_id] if item_id else [policy_id],
        )
    )
    what = f"{policy_id}:{item_id}" if item_id else policy_id
    if not auto:
        raise InputError(f"数据库中没有政策事项 {what}（请先用包含它的规则运行 batch）", field="--item" if item_id else "--policy")
    if not any(r["apply_mode"] == "auto" for r in auto):
        raise InputError(
            f"{what} 不是免申即享事项（apply_mode 不是 auto），免申即享名单只列 auto 事项",
            field="--item" if item_id else "--policy",
        )
    run = store.latest_run()
    if run is None or run["status"] != "done":
        raise StoreError("最近一次批量运行尚未完成，请先完成 policymatch batch", file=str(store.path))
    sql = _SQL.format(item_filter="AND m.item_id = ?" if item_id else "")
    params = [policy_id, item_id] if item_id else [policy_id]
    out = []
    for k, r in enumerate(store.db.query(sql, params), start=1):
        reasons = "；".join(c for c in json.loads(r["conditions"] or "[]") if c)
        out.append(
            [
                k,
                r["uscc"],
                r["name"] or "",
                region_name(r["region"]),
                r["title"] or r["policy_id"],
                f"{r['item_id']} {r['item_name'] or ''}".strip(),
                r["amount"],
                reasons,
            ]
        )
    title = auto[0]["title"] or policy_id
    return out, f"{title} 免申即享公示名单（评估日期 {run['as_of']}，运行 #{run['run_id']}）"


def roster(db: str | Path, out: str | Path, policy: str | None = None, item: str | None = None) -> RosterSummary:
    """Write the 公示名单 of one policy (``policy='021'``) or one item (``item='021:3-1'``) to ``.xlsx`` or ``.csv``.

    Only eligible and granted rows of ``auto`` items; a final 合计 row sums the amounts
    (rows without a computable amount are counted, shown blank and reported).
    """
    out = Path(out)
    if (policy is None) == (item is None):
        raise InputError("请给出 --policy 或 --item 其中之一")
    if item is not None:
        if ":" not in item:
            raise InputError("--item 的格式为 政策编号:事项编号，例如 021:3-1", field="--item")
        policy, item_id = item.split(":", 1)
    else:
        item_id = None
    suffix = out.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise InputError("名单文件应为 .xlsx 或 .csv", file=str(out))
    store = Store(db, must_exist=True)
    try:
        rows, title = _rows(store, str(policy), item_id)
    finally:
        store.close()
    total = sum(r[6] for r in rows if r[6] is not None)
    missing = sum(1 for r in rows if r[6] is None)
    totals = ["合计", f"{len(rows)} 家", "", "", "", "", total, f"金额待核定 {missing} 家" if missing else ""]
    (_write_xlsx if suffix == ".xlsx" else _write_csv)(out, title, rows, totals)
    return RosterSummary(str(out), str(policy), item_id, len(rows), int(total), missing)


def _write_csv(out: Path, title: str, rows: list[list], totals: list) -> None:
    # utf-8-sig: Excel opens it with the Chinese intact
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(ROSTER_COLUMNS)
        w.writerows(rows)
        w.writerow(totals)


def _write_xlsx(out: Path, title: str, rows: list[list], totals: list) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    ws = wb.active
    ws.title = "公示名单"
    ws.append([title])
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(ROSTER_COLUMNS))
    ws["A1"].font = Font(bold=True, size=14)
    ws["A1"].alignment = Alignment(horizontal="center")
    ws.append(list(ROSTER_COLUMNS))
    head_fill = PatternFill("solid", fgColor="DDEBF7")
    for cell in ws[2]:
        cell.font = Font(bold=True)
        cell.fill = head_fill
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for r in rows:
        ws.append(r)
    ws.append(totals)
    for cell in ws[ws.max_row]:
        cell.font = Font(bold=True)
    amount_col = ROSTER_COLUMNS.index("兑现金额（元）") + 1
    for row in ws.iter_rows(min_row=3, min_col=amount_col, max_col=amount_col):
        row[0].number_format = _AMOUNT_FORMAT
    reasons_col = get_column_letter(ROSTER_COLUMNS.index("认定依据") + 1)
    for row in ws.iter_rows(min_row=3):
        for cell in row:
            cell.alignment = Alignment(vertical="top", wrap_text=cell.column_letter == reasons_col)
    for k, width in enumerate(_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(k)].width = width
    ws.freeze_panes = "A3"
    ws.print_title_rows = "2:2"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    wb.save(out)
