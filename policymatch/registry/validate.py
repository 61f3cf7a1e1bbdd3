"""Column-wise validation of firm values: raw cells → contract dtypes plus a Chinese reason per bad cell.

Why column-wise: a registry chunk has hundreds of thousands of rows; each field kind (money,
count, date, bool, enum, region, industry, USCC, cert) has one vectorised checker, chosen from
a table by the field's kind in ``fields.py``. The one-firm model (``Firm.from_dict``) runs the
same checkers on a one-row frame, so a JSON firm and a registry row obey the same rules.
Accepted spellings of enum and yes/no values are declared in ``data/values.csv``.

>>> raw = pd.DataFrame({"uscc": ["914403001922038216", "91440300192203821X"],
...                     "revenue": ["1,200", "-5"], "tax_credit": ["A级", "E"]})
>>> res = validate_frame(raw, scales={"revenue": 10_000})
>>> res.values["revenue"].tolist(), res.values["tax_credit"].tolist()
([12000000, <NA>], ['A', <NA>])
>>> res.problems[1]
[('uscc', '91440300192203821X', '统一社会信用代码校验位错误'), ('revenue', '-5', '营业收入不能为负数'), ('tax_credit', 'E', '纳税信用等级未知（应为 A/B/M/C/D）')]
"""

from __future__ import annotations

import datetime as _dt
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd
import pyarrow as pa

from ..fields import CERT_LABELS, ENUMS, FIELDS, cert_code, field_label, is_cert_field
from ..profiles import CERT_HELD_NO_DATE, conform
from ..reference import industry_classes, region_codes
from .uscc import normalise_uscc, uscc_problems

__all__ = ["validate_frame", "Validated", "known_column", "value_aliases", "EARLIEST_DATE"]

_STR = pd.ArrowDtype(pa.string())
_INT_MAX = 2**62  # money above this is certainly a data error (and would overflow int64 arithmetic)
#: dates before this are impossible for a firm of the registry
EARLIEST_DATE = "1900-01-01"


@lru_cache(maxsize=1)
def value_aliases() -> dict[str, dict[str, str | None]]:
    """field (or ``bool``/``cert``) → normalised spelling → canonical value (None = known but missing)."""
    table: dict[str, dict[str, str | None]] = {}
    for field, labels in ENUMS.items():
        table[field] = {_norm(code): code for code in labels} | {_norm(lab): code for code, lab in labels.items()}
    with resources.files(__package__).joinpath("data", "values.csv").open(encoding="utf-8") as fh:
        rows = pd.read_csv(fh, dtype=str, keep_default_na=False)
    for r in rows.itertuples(index=False):
        table.setdefault(r.field, {})[_norm(r.alias)] = r.value or None
    return table


def _norm(v: str) -> str:
    """Case- and width-insensitive form of a spelling (全角 → 半角, blanks removed)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", v)).casefold()


def known_column(name: str) -> bool:
    """True for an input profile field or a known ``certs.<code>`` column."""
    if is_cert_field(name):
        return cert_code(name) in CERT_LABELS
    return name in FIELDS and not FIELDS[name].derived


# ---------------------------------------------------------------- cell → text


def _scalar_text(v: object) -> str | None:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool | np.bool_):
        return "true" if v else "false"
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    if isinstance(v, _dt.datetime | pd.Timestamp):
        return v.strftime("%Y-%m-%d") if (v.hour, v.minute, v.second) == (0, 0, 0) else v.isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    return str(v)


def _text(s: pd.Series) -> pd.Series:
    """Any column → stripped pyarrow strings, NA for empty."""
    if s.dtype == object or not pd.api.types.is_string_dtype(s.dtype):
        s = s.astype(object).map(_scalar_text)
    t = s.astype(_STR).str.strip()
    return t.mask(t == "")


def _raw_values(s: pd.Series, mask: np.ndarray) -> list[str]:
    return [_scalar_text(v) or "" for v in s[mask].astype(object)]


# ---------------------------------------------------------------- checkers
# Each: (raw series, field name, scale) → (clean series in contract dtype, reason array or None per row)

Checker = Callable[[pd.Series, str, float], tuple[pd.Series, np.ndarray]]


def _reasons(n: int) -> np.ndarray:
    return np.full(n, None, dtype=object)


def _numbers(s: pd.Series, name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """float64 values, present mask, reasons (non-numeric) of a numeric column."""
    reasons = _reasons(len(s))
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        num = pd.to_numeric(s, errors="coerce").astype("float64").to_numpy(na_value=np.nan)
        return num, ~np.isnan(num), reasons
    t = _text(s)
    cleaned = t.str.replace(r"[,，\s]", "", regex=True)
    num = pd.to_numeric(cleaned.astype(object), errors="coerce").astype("float64").to_numpy(na_value=np.nan)
    present = t.notna().to_numpy()
    nonnum = present & np.isnan(num)
    reasons[nonnum] = f"{field_label(name)}不是数字"
    return num, present, reasons


def _amount(s: pd.Series, name: str, scale: float, integral: bool) -> tuple[pd.Series, np.ndarray]:
    num, present, reasons = _numbers(s, name)
    label = field_label(name)
    with np.errstate(invalid="ignore"):
        scaled = num * scale
        reasons[present & np.isinf(num)] = f"{label}不是有限数值"
        reasons[present & np.isfinite(num) & (scaled >= _INT_MAX)] = f"{label}数值过大"
        reasons[present & (num < 0)] = f"{label}不能为负数"
        if integral:
            frac = present & np.isfinite(num) & (num != np.round(num))
            reasons[frac & (num >= 0)] = f"{label}应为整数"
    ok = present & (reasons == None)  # noqa: E711 - elementwise on object array
    out = pd.array(np.where(ok, np.round(np.where(ok, scaled, 0)), 0).astype(np.int64), dtype=pd.ArrowDtype(pa.int64()))
    series = pd.Series(out, index=s.index)
    return series.mask(~ok), reasons


def _check_money(s, name, scale):
    return _amount(s, name, scale, integral=False)


def _check_int(s, name, scale):
    return _amount(s, name, scale, integral=True)


_DATE_SEP = re.compile(r"[/.年月]")


def _parse_dates(t: pd.Series) -> tuple[pd.Series, np.ndarray]:
    """Text dates (2020-01-05, 2020/1/5, 2020年1月5日, 20200105, with optional time) → ISO + ok mask.

    Each distinct spelling is parsed once (a registry repeats dates: certification rounds,
    founding dates), then spread back to the rows.
    """
    codes, uniques = pd.factorize(t, use_na_sentinel=True)
    iso_u, ok_u = _parse_distinct_dates(pd.Series(np.asarray(uniques, dtype=object), dtype=_STR))
    iso = np.append(iso_u.to_numpy(dtype=object, na_value=None), None)[codes]  # -1 (missing) → the trailing None
    ok = np.append(ok_u, False)[codes]
    return pd.Series(iso, index=t.index, dtype=_STR), ok


def _parse_distinct_dates(t: pd.Series) -> tuple[pd.Series, np.ndarray]:
    d = t.str.replace(r"[日号]", "", regex=True).str.replace(_DATE_SEP, "-", regex=True)
    d = d.str.replace(r"[ T].*$", "", regex=True)
    d = d.where(~d.str.fullmatch(r"\d{8}").fillna(False), d.str.slice(0, 4) + "-" + d.str.slice(4, 6) + "-" + d.str.slice(6, 8))
    ts = pd.to_datetime(d.astype(object), format="%Y-%m-%d", errors="coerce")
    ok = ts.notna().to_numpy()
    iso = pd.Series(ts.dt.strftime("%Y-%m-%d").astype(object).where(ok, None), index=t.index, dtype=_STR)
    return iso, ok


def _check_date(s, name, scale):
    t = _text(s)
    iso, ok = _parse_dates(t)
    present = t.notna().to_numpy()
    reasons = _reasons(len(s))
    label = field_label(name)
    reasons[present & ~ok] = f"{label}不是有效日期（应为 YYYY-MM-DD）"
    today = _dt.date.today().isoformat()
    out_of_range = ok & ((iso < EARLIEST_DATE) | (iso > today)).fillna(False).to_numpy()
    reasons[out_of_range] = f"{label}不可能（早于{EARLIEST_DATE[:4]}年或晚于今天）"
    return iso.mask(~ok | out_of_range), reasons


def _lookup(s: pd.Series, table: dict[str, str | None]) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Map spellings through an alias table → (values, present, known); each distinct spelling once."""
    t = _text(s)
    codes, uniques = pd.factorize(t, use_na_sentinel=True)
    keys = [_norm(str(u)) for u in uniques]
    known_u = np.array([k in table for k in keys] + [False], dtype=bool)
    vals_u = np.array([table.get(k) for k in keys] + [None], dtype=object)
    known = known_u[codes]  # sentinel -1 picks the trailing "missing" entry
    present = codes >= 0
    return pd.Series(vals_u[codes], index=s.index, dtype=_STR), present, known


def _check_enum(s, name, scale):
    vals, present, known = _lookup(s, value_aliases().get(name, {}))
    reasons = _reasons(len(s))
    reasons[present & ~known] = f"{field_label(name)}未知（应为 {'/'.join(ENUMS[name])}）"
    return vals.mask(~known), reasons


def _check_bool(s, name, scale):
    if pd.api.types.is_bool_dtype(s.dtype):  # already typed (Parquet, our own tables)
        return s.astype(pd.ArrowDtype(pa.bool_())), _reasons(len(s))
    vals, present, known = _lookup(s, value_aliases()["bool"])
    reasons = _reasons(len(s))
    reasons[present & ~known] = f"{field_label(name)}无法识别（应为 true/false、1/0 或 是/否）"
    out = pd.Series((vals == "true").to_numpy(dtype=bool, na_value=False), index=s.index, dtype=pd.ArrowDtype(pa.bool_()))
    return out.mask(~known | vals.isna().to_numpy()), reasons


def _in_table(t: pd.Series, valid: frozenset[str], reason: str) -> tuple[pd.Series, np.ndarray]:
    """Codes that must appear in a reference table: unknown ones get ``reason``."""
    present = t.notna().to_numpy()
    ok = t.isin(valid).to_numpy(dtype=bool)
    reasons = _reasons(len(t))
    reasons[present & ~ok] = reason
    return t.mask(~ok), reasons


def _check_region(s, name, scale):
    return _in_table(_text(s), region_codes(), "行政区划代码未知（应为 GB/T 2260 六位代码）")


def _check_industry(s, name, scale):
    t = _text(s).str.upper()
    t = t.where(~t.str.fullmatch(r"[A-T]\d{4}").fillna(False), t.str.slice(1))  # C3562 → 3562
    return _in_table(t, industry_classes(), "行业代码未知（应为 GB/T 4754-2017 四位小类代码）")


def _check_uscc(s, name, scale):
    codes = normalise_uscc(_text(s))
    problems = uscc_problems(codes).to_numpy()
    out = pd.Series(codes, index=s.index, dtype=_STR)
    return out.mask(problems != None), problems  # noqa: E711


def _check_str(s, name, scale):
    return _text(s), _reasons(len(s))


def _check_cert(s, name, scale):
    t = _text(s)
    present = t.notna().to_numpy()
    vals, _, known = _lookup(s, value_aliases()["cert"])
    iso, is_date = _parse_dates(t)
    today = _dt.date.today().isoformat()
    date_ok = is_date & ((iso >= EARLIEST_DATE) & (iso <= today)).fillna(False).to_numpy()
    out = iso.where(date_ok, vals.where(known))
    reasons = _reasons(len(s))
    reasons[present & ~known & ~is_date] = f"{CERT_LABELS[cert_code(name)]}取值无法识别（应为认定日期或 是/否）"
    reasons[present & is_date & ~date_ok] = f"{CERT_LABELS[cert_code(name)]}认定日期不可能（早于1900年或晚于今天）"
    return out.mask(reasons != None), reasons  # noqa: E711


#: field kind → checker (the table the whole module is built around)
CHECKERS: dict[str, Checker] = {
    "str": _check_str,
    "code_region": _check_region,
    "code_industry": _check_industry,
    "date": _check_date,
    "money": _check_money,
    "int": _check_int,
    "enum": _check_enum,
    "bool": _check_bool,
}


def _checker(column: str) -> Checker:
    if column == "uscc":
        return _check_uscc
    if is_cert_field(column):
        return _check_cert
    return CHECKERS[FIELDS[column].kind]


# ---------------------------------------------------------------- frame


@dataclass
class Validated:
    """Result of ``validate_frame``: clean values (all rows, NA where a cell was bad) and problems per row."""

    values: pd.DataFrame
    #: row position → [(column, raw value, reason), …] for rows with at least one problem
    problems: dict[int, list[tuple[str, str, str]]]

    @property
    def bad(self) -> np.ndarray:
        mask = np.zeros(len(self.values), dtype=bool)
        mask[list(self.problems)] = True
        return mask


def validate_frame(raw: pd.DataFrame, scales: dict[str, float] | None = None) -> Validated:
    """Check every known column of ``raw`` (canonical names) and convert to the profiles contract.

    ``scales`` multiplies amounts (e.g. 10 000 for a 万元 column). Unknown columns are left out.
    """
    scales = scales or {}
    cols: dict[str, pd.Series] = {}
    problems: dict[int, list[tuple[str, str, str]]] = {}
    raw = raw.reset_index(drop=True)
    for column in raw.columns:
        if not known_column(column):
            continue
        clean, reasons = _checker(column)(raw[column], column, float(scales.get(column, 1)))
        cols[column] = clean
        bad = np.flatnonzero(reasons != None)  # noqa: E711
        if len(bad):
            values = _raw_values(raw[column], np.isin(np.arange(len(raw)), bad))
            for pos, value in zip(bad, values):
                problems.setdefault(int(pos), []).append((column, value, reasons[pos]))
    frame = conform(pd.DataFrame(cols, index=raw.index)) if cols else pd.DataFrame(index=raw.index)
    return Validated(frame, problems)
