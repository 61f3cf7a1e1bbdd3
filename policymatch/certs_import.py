"""Import a published qualification list (认定名单: 高企, 专精特新 …) into the registry's ``certs.<code>`` column.

Why careful linking: lists are published as Excel/CSV with Chinese headers, often without
the 统一社会信用代码, and company names differ in legal form, brackets and full/half width.
A row is linked by USCC when it has one, else by its normalised name (exact, then fuzzy
with rapidfuzz). Only confident links change ``firms``; every other row goes to
``cert_review`` with its candidates and scores, and every link is logged in ``cert_links``
with its method and score: nothing is guessed silently.

>>> normalise_name("太原ＸＸ科技（山西）有限公司")
'太原xx科技'
>>> normalise_name("山西晋韵古建筑股份有限公司") == normalise_name("山西晋韵古建筑有限责任公司")
True
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from .errors import InputError, StoreError
from .fields import CERT_CODES, CERT_LABELS
from .store import Store, now_iso

__all__ = ["import_certs", "CertImportSummary", "normalise_name", "HEADER_ALIASES", "FUZZY_LINK", "FUZZY_MARGIN"]

#: a fuzzy name match links only at or above this score (rapidfuzz ratio, 0–100) …
FUZZY_LINK = 95.0
#: … and only when the runner-up scores at least this much lower
FUZZY_MARGIN = 5.0
#: candidates below this score are not even shown to a reviewer
FUZZY_SHOW = 70.0
MAX_LIST_BYTES = 50 * 1024 * 1024
MAX_LIST_ROWS = 500_000

#: role → accepted Chinese headers (first match wins; compared after removing spaces)
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("企业名称", "单位名称", "公司名称", "企业（单位）名称", "申报单位", "名称"),
    "uscc": ("统一社会信用代码", "社会信用代码", "信用代码", "纳税人识别号", "统一代码"),
    "date": ("认定日期", "认定时间", "发证日期", "发证时间", "证书日期", "批准日期", "公布日期"),
    "cert_no": ("证书编号", "证书号"),
}
_USCC_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_DATE_RE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})")


@lru_cache(maxsize=1)
def _norm_table() -> dict[str, Any]:
    with resources.files("policymatch").joinpath("name_normalisation.yaml").open("r", encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def normalise_name(name: str) -> str:
    """Company name → comparison key: NFKC (full → half width), brackets/legal form/punctuation per the table."""
    t = _norm_table()
    s = unicodedata.normalize("NFKC", str(name)).lower()
    s = re.sub(r"\s+", "", s)
    regions = tuple(t["bracket_regions"])
    suffixes = tuple(t["bracket_region_suffixes"])
    for pair in t["brackets"]:
        o, c = re.escape(pair[0]), re.escape(pair[1])

        def drop(m: re.Match) -> str:
            inner = m.group(1)
            return "" if inner in regions or (0 < len(inner) <= 6 and inner.endswith(suffixes)) else inner

        s = re.sub(f"{o}([^{o}{c}]*){c}", drop, s)
    for suf in sorted(t["suffixes"], key=len, reverse=True):
        if s.endswith(suf) and len(s) > len(suf):
            s = s[: -len(suf)]
            break
    return s.translate({ord(ch): None for ch in t["punctuation"]})


@dataclass
class CertImportSummary:
    """Counts of one import; ``created_column`` warns that non-listed firms now read as 'not held'."""

    file: str
    cert: str
    n_rows: int = 0
    linked: dict[str, int] = field(default_factory=dict)
    n_review: int = 0
    n_updated: int = 0
    created_column: bool = False

    def to_text(self) -> str:
        label = CERT_LABELS.get(self.cert, self.cert)
        how = "，".join(f"{_METHOD_LABELS[k]} {v}" for k, v in self.linked.items() if v) or "无"
        lines = [
            f"导入{label}名单 {self.file}：共 {self.n_rows} 行",
            f"  已关联 {sum(self.linked.values())} 家（{how}），其中更新 {self.n_updated} 家的 certs.{self.cert}",
            f"  待人工核对 {self.n_review} 行（见 cert_review 表）",
        ]
        if self.created_column:
            lines.append(
                f"  注意：企业库原先没有 certs.{self.cert} 列；现已新建，名单之外的企业将被视为未持有该资质"
            )
        return "\n".join(lines)


_METHOD_LABELS = {"uscc": "按信用代码", "name_exact": "按名称精确", "name_fuzzy": "按名称模糊"}


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if hasattr(v, "isoformat"):
        return v.isoformat()[:10]
    return str(v).strip()


def _read_table(path: Path) -> list[list[str]]:
    """All rows of the first sheet / the CSV as text cells (bounded size)."""
    if not path.is_file():
        raise InputError("文件不存在", file=str(path))
    if path.stat().st_size > MAX_LIST_BYTES:
        raise InputError(f"文件过大（上限 {MAX_LIST_BYTES // (1024 * 1024)} MB）", file=str(path))
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as e:  # damaged or not really Excel
            raise InputError(f"无法读取 Excel 文件（{type(e).__name__}）", file=str(path)) from None
        rows = [[_cell(v) for v in r] for _, r in zip(range(MAX_LIST_ROWS + 20), wb.worksheets[0].iter_rows(values_only=True))]
        wb.close()
        return rows
    if suffix in (".csv", ".txt"):
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):  # published lists: UTF-8 or GBK (GB18030 is its superset)
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        else:
            raise InputError("无法识别文件编码（应为 UTF-8 或 GBK 文本）", file=str(path))
        return [[c.strip() for c in r] for _, r in zip(range(MAX_LIST_ROWS + 20), csv.reader(io.StringIO(text)))]
    raise InputError("名单文件应为 .xlsx 或 .csv", file=str(path))


def _header(rows: list[list[str]], path: Path) -> tuple[int, dict[str, int]]:
    """(index of the header row, role → column) – published lists often have a title line first."""
    for i, row in enumerate(rows[:15]):
        cells = [re.sub(r"\s+", "", c) for c in row]
        roles: dict[str, int] = {}
        for role, aliases in HEADER_ALIASES.items():
            for alias in aliases:
                if alias in cells:
                    roles[role] = cells.index(alias)
                    break
        if "name" in roles or "uscc" in roles:
            return i, roles
    raise InputError(
        "找不到表头：需要“企业名称”或“统一社会信用代码”列（前 15 行内）", file=str(path)
    )


def _iso_date(text: str) -> str | None:
    m = _DATE_RE.search(text or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
    except ValueError:
        return None


def _merge(old: Any, new: str) -> str:
    """Keep the first grant date: an earlier date wins; a date beats 'held, no date'."""
    if old is None or old == "" or old == "true":
        return new
    if new == "true":
        return old
    return min(str(old), new)


def import_certs(file: str | Path, cert: str, db: str | Path, date_: str | None = None) -> CertImportSummary:
    """Link a 认定名单 to the ``firms`` table of ``db`` and set ``certs.<cert>`` for confident links.

    The grant date is the row's own date column, else ``date_``, else ``"true"`` (held, date
    unknown). Re-importing the same file gives the same result (review rows are replaced).
    """
    path = Path(file)
    if cert not in CERT_CODES:
        raise InputError(f"未知的资质代码 {cert!r}（可用：{', '.join(CERT_CODES)}）", field="--cert")
    if date_ is not None and _iso_date(date_) != date_:
        raise InputError(f"日期应为 YYYY-MM-DD，而不是 {date_!r}", field="--date")
    rows = _read_table(path)
    head, roles = _header(rows, path)
    store = Store(db, must_exist=True)
    try:
        return _link(store, path, cert, date_, rows[head + 1 :], head, roles)
    finally:
        store.close()


def _link(store: Store, path: Path, cert: str, date_: str | None, rows: list[list[str]], head: int, roles: dict) -> CertImportSummary:
    from rapidfuzz import fuzz, process

    if "firms" not in store.db.table_names():
        raise StoreError("数据库中没有 firms 表（请先用 policymatch registry load 导入企业库）", file=str(store.path))
    firms = store.db["firms"]
    column = f"certs.{cert}"  # cert validated against CERT_CODES: a constant, never user text
    summary = CertImportSummary(file=str(path), cert=cert, linked={k: 0 for k in _METHOD_LABELS})
    summary.created_column = column not in firms.columns_dict
    by_uscc: dict[str, str] = {}
    by_norm: dict[str, list[str]] = defaultdict(list)
    for r in store.db.query("SELECT uscc, name FROM firms"):
        by_uscc[r["uscc"]] = r["name"]
        if r["name"]:
            by_norm[normalise_name(r["name"])].append(r["uscc"])
    choices = list(by_norm)

    def candidates(norm: str) -> list[dict[str, Any]]:
        found = process.extract(norm, choices, scorer=fuzz.ratio, limit=5, score_cutoff=FUZZY_SHOW)
        return [
            {"uscc": u, "name": by_uscc[u], "score": round(float(score), 1)}
            for key, score, _ in found
            for u in by_norm[key]
        ]

    import_id = now_iso()
    links: list[dict[str, Any]] = []
    review: list[dict[str, Any]] = []
    for k, row in enumerate(rows, start=head + 2):
        get = lambda role: row[roles[role]].strip() if role in roles and roles[role] < len(row) else ""  # noqa: E731
        name, uscc = get("name"), get("uscc").upper()
        if not name and not uscc:
            continue  # blank line
        summary.n_rows += 1
        when = _iso_date(get("date")) or date_ or "true"
        base = {"file": str(path), "row": k, "cert": cert, "name": name, "uscc": uscc or None, "import_id": import_id}
        if uscc:
            if uscc in by_uscc:
                links.append({**base, "firm_uscc": uscc, "method": "uscc", "score": 100.0, "value": when})
                continue
            reason = "信用代码格式不对" if not _USCC_RE.match(uscc) else "信用代码不在企业库中"
            review.append({**base, "reason": reason, "candidates": json.dumps(candidates(normalise_name(name)) if name else [], ensure_ascii=False)})
            continue
        norm = normalise_name(name)
        exact = by_norm.get(norm, [])
        if len(exact) == 1:
            links.append({**base, "firm_uscc": exact[0], "method": "name_exact", "score": 100.0, "value": when})
            continue
        cands = candidates(norm)
        if len(exact) > 1:
            review.append({**base, "reason": f"名称对应企业库中 {len(exact)} 家企业", "candidates": json.dumps(cands, ensure_ascii=False)})
            continue
        top = cands[0]["score"] if cands else 0.0
        second = next((c["score"] for c in cands[1:] if c["uscc"] != cands[0]["uscc"]), 0.0)
        if cands and top >= FUZZY_LINK and top - second >= FUZZY_MARGIN:
            links.append({**base, "firm_uscc": cands[0]["uscc"], "method": "name_fuzzy", "score": top, "value": when})
        else:
            reason = "企业库中未找到相近名称" if not cands else f"名称相近但不能确定（最高相似度 {top}）"
            review.append({**base, "reason": reason, "candidates": json.dumps(cands, ensure_ascii=False)})

    with store.db.atomic():
        if summary.created_column:
            firms.add_column(column, str)
        current = {
            r["uscc"]: r["v"]
            for r in store.db.query(f'SELECT uscc, "{column}" AS v FROM firms WHERE "{column}" IS NOT NULL')
        }
        for link in links:
            new = _merge(current.get(link["firm_uscc"]), link["value"])
            if new != current.get(link["firm_uscc"]):
                store.db.execute(f'UPDATE firms SET "{column}" = ? WHERE uscc = ?', [new, link["firm_uscc"]])
                current[link["firm_uscc"]] = new
                summary.n_updated += 1
            summary.linked[link["method"]] += 1
        if "cert_review" in store.db.table_names():
            store.db.execute("DELETE FROM cert_review WHERE file = ? AND cert = ?", [str(path), cert])
        if "cert_links" in store.db.table_names():
            store.db.execute("DELETE FROM cert_links WHERE file = ? AND cert = ?", [str(path), cert])
        if review:
            store.db["cert_review"].insert_all(review, alter=True)
        if links:
            store.db["cert_links"].insert_all(links, alter=True)
    summary.n_review = len(review)
    return summary
