"""免申即享 公示名单: the eligible, granted firms of ``auto`` items, as Excel (for officials) or CSV.

Why from the database alone: the batch job snapshots each item's metadata (apply_mode,
benefit, condition wording) and names the matched firms, so a roster can be produced
and re-produced later without the registry or the rule files.

>>> ROSTER_COLUMNS[:3]
('序号', '统一社会信用代码', '企业名称')
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .errors import InputError, StoreError
from .store import Store, condition_wording

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
    #: distinct firms (a policy's roster lists a firm once per item it gets)
    n_firms: int | None = None

    def to_text(self) -> str:
        what = f"{self.policy_id}:{self.item_id}" if self.item_id else self.policy_id
        firms = self.n_rows if self.n_firms is None else self.n_firms
        count = f"{firms} 家企业" if firms == self.n_rows else f"{firms} 家企业、{self.n_rows} 项"
        extra = f"（另有 {self.n_without_amount} 项金额待核定）" if self.n_without_amount else ""
        return f"免申即享公示名单 {what}：{count}，兑现金额合计 {self.total_amount:,} 元{extra} → {self.out}"


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
        reasons = "；".join(c for c in condition_wording(r["conditions"]) if c)
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
    n_firms = len({r[1] for r in rows})
    count = f"{n_firms} 家" if n_firms == len(rows) else f"{n_firms} 家 {len(rows)} 项"
    totals = ["合计", count, "", "", "", "", total, f"金额待核定 {missing} 项" if missing else ""]
    (_write_xlsx if suffix == ".xlsx" else _write_csv)(out, title, rows, totals)
    return RosterSummary(str(out), str(policy), item_id, len(rows), int(total), missing, n_firms)


def _write_csv(out: Path, title: str, rows: list[list], totals: list) -> None:
    # utf-8-sig: Excel opens it with the Chinese intact
    with out.open("w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f)
        w.writerow(ROSTER_COLUMNS)
        w.writerows(rows)
        w.writerow(totals)


#: rows of one Excel sheet (the format's limit); longer rosters continue on further sheets
EXCEL_MAX_ROWS = 1_048_576


def _write_xlsx(out: Path, title: str, rows: list[list], totals: list, max_rows: int = EXCEL_MAX_ROWS) -> None:
    """The roster as an Excel file formatted for officials: merged title, bold frozen header, widths, 千分位 amounts.

    Written with XlsxWriter in constant-memory mode (rows streamed, formats set once per
    column), so a province-wide roster of hundreds of thousands of firms takes seconds. A
    roster longer than one sheet can hold continues on sheets 公示名单（2）, （3）… each with
    the title and header; the 合计 row closes the last sheet.
    """
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(out), {"constant_memory": True})
    try:
        title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center"})
        head_fmt = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "align": "center", "valign": "vcenter", "text_wrap": True})
        formats = {
            "plain": wb.add_format({"valign": "top"}),
            "amount": wb.add_format({"valign": "top", "num_format": _AMOUNT_FORMAT}),
            "reasons": wb.add_format({"valign": "top", "text_wrap": True}),
        }
        bold = {k: wb.add_format({"valign": "top", "bold": True, **extra}) for k, extra in (
            ("plain", {}), ("amount", {"num_format": _AMOUNT_FORMAT}), ("reasons", {"text_wrap": True}))}
        kinds = ["amount" if c == "兑现金额（元）" else "reasons" if c == "认定依据" else "plain" for c in ROSTER_COLUMNS]
        per_sheet = max_rows - 3  # title, header, and room for the totals row

        def sheet(k: int):  # noqa: ANN202
            ws = wb.add_worksheet("公示名单" if k == 0 else f"公示名单（{k + 1}）")
            for j, (width, kind) in enumerate(zip(_WIDTHS, kinds, strict=True)):
                ws.set_column(j, j, width, formats[kind])
            ws.merge_range(0, 0, 0, len(ROSTER_COLUMNS) - 1, title, title_fmt)
            ws.write_row(1, 0, ROSTER_COLUMNS, head_fmt)
            ws.freeze_panes(2, 0)
            ws.repeat_rows(1)
            ws.set_landscape()
            ws.fit_to_pages(1, 0)
            return ws

        ws, line = sheet(0), 2
        for k, r in enumerate(rows):
            if k and k % per_sheet == 0:
                ws, line = sheet(k // per_sheet), 2
            for j, v in enumerate(r):
                if v is not None:
                    ws.write(line, j, v, formats[kinds[j]])
            line += 1
        for j, v in enumerate(totals):
            ws.write(line, j, v if v != "" else None, bold[kinds[j]])
    finally:
        wb.close()
