"""The typed model of one firm (PROFILE.md), built from JSON or a dict and turned into a one-row frame.

Why: the interactive path (CLI ``match``, an embedding platform) hands in one firm at a time;
it must obey exactly the rules of a registry row (same checkers, same units: yuan), say which
field is wrong, and become the same columnar frame the vectorised engine evaluates.
``certs`` follows the "In files" JSON rule: present → every code not in it is *not held*;
absent → every code is *unknown*.

>>> f = Firm.from_dict({"uscc": "914403001922038216", "industry": "6513", "employees": 103,
...                     "revenue": 157_352_800, "certs": {"hitech": "2021-12-01"}})
>>> f.revenue, f.certs["hitech"], f.tax_credit is None
(157352800, '2021-12-01', True)
>>> row = f.to_frame()
>>> row.loc[0, "size"], row.loc[0, "certs.hitech"], bool(pd.isna(row.loc[0, "certs.srdi"]))
('medium', '2021-12-01', True)
>>> Firm.from_dict({"uscc": "914403001922038216", "revenue": -1})
Traceback (most recent call last):
policymatch.errors.InputError: revenue: 营业收入不能为负数（值：-1）
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import InputError
from .fields import CERT_CODES, CERT_LABELS, DERIVED_FIELDS, INPUT_FIELDS, is_cert_field
from .profiles import conform
from .registry.validate import validate_frame
from .size import derive_size

__all__ = ["Firm", "MAX_JSON_BYTES"]

#: a one-firm JSON larger than this is not a firm (bounded memory for untrusted input)
MAX_JSON_BYTES = 1_000_000


@dataclass(frozen=True)
class Firm:
    """One enterprise; ``None`` = unknown. Amounts in yuan (int), dates ISO strings, certs code → date/"true"."""

    uscc: str | None = None
    name: str | None = None
    region: str | None = None
    industry: str | None = None
    established: str | None = None
    registered_capital: int | None = None
    ownership: str | None = None
    size: str | None = None
    above_scale: bool | None = None
    listed: str | None = None
    employees: int | None = None
    new_employees: int | None = None
    revenue: int | None = None
    revenue_prev: int | None = None
    output_value: int | None = None
    output_value_prev: int | None = None
    rd_expense: int | None = None
    rd_expense_prev: int | None = None
    tax_paid: int | None = None
    tax_paid_prev: int | None = None
    export_value: int | None = None
    investment: int | None = None
    total_assets: int | None = None
    invention_patents: int | None = None
    tax_credit: str | None = None
    dishonest: bool | None = None
    major_violation: bool | None = None
    business_scope: str | None = None
    #: None = qualifications unknown; a dict = exactly these are held (code → grant date or "true")
    certs: dict[str, str] | None = field(default=None, hash=False)

    # ------------------------------------------------------------ building

    @classmethod
    def from_dict(cls, d: dict[str, Any], source: str | None = None) -> Firm:
        """Check and convert a JSON-style dict; raises InputError naming the (first) bad field.

        Keys are PROFILE.md field names; ``certs`` is an object ``{code: date-or-true}``; flat
        ``certs.<code>`` keys (as in a table row) are accepted too. Derived fields are refused.
        """
        if not isinstance(d, dict):
            raise InputError(f"企业信息应为 JSON 对象（实为 {type(d).__name__}）", file=source)
        flat: dict[str, Any] = {}
        certs: dict[str, Any] | None = None
        for key, value in d.items():
            if not isinstance(key, str):
                raise InputError("字段名应为文字", file=source, field=str(key))
            if key == "certs":
                if value is None:
                    continue
                if not isinstance(value, dict):
                    raise InputError("certs 应为对象 {资质代码: 认定日期或 true}", file=source, field="certs")
                certs = {**(certs or {}), **value}
            elif is_cert_field(key):
                certs = {**(certs or {}), key[len("certs."):]: value}
            elif key in DERIVED_FIELDS:
                raise InputError("派生字段由程序计算，不能作为输入", file=source, field=key)
            elif key not in INPUT_FIELDS:
                raise InputError("未知字段（字段名见 PROFILE.md）", file=source, field=key)
            else:
                if isinstance(value, dict | list):
                    raise InputError("取值应为单个值", file=source, field=key)
                flat[key] = value
        if certs is not None:
            for code, value in certs.items():
                if code not in CERT_LABELS:
                    raise InputError("未知资质代码", file=source, field=f"certs.{code}")
                if isinstance(value, dict | list):
                    raise InputError("取值应为认定日期或 true", file=source, field=f"certs.{code}")
                flat[f"certs.{code}"] = value
        checked = validate_frame(pd.DataFrame({k: pd.Series([v], dtype=object) for k, v in flat.items()}))
        if checked.problems:
            problems = checked.problems[0]
            column, value, reason = problems[0]
            raise InputError(
                f"{reason}（值：{value}）",
                file=source,
                field=column,
                problems=[f"{c}: {r}（值：{v}）" for c, v, r in problems],
            )
        row = checked.values.iloc[0] if len(checked.values.columns) else pd.Series(dtype=object)
        kwargs = {name: _py(row[name]) for name in INPUT_FIELDS if name in row.index}
        if certs is not None:
            held = {code: _py(row[f"certs.{code}"]) for code in certs}
            kwargs["certs"] = {code: v for code, v in held.items() if v is not None}
        return cls(**kwargs)

    @classmethod
    def from_json_file(cls, path: str | Path) -> Firm:
        """Read one firm from a UTF-8 JSON file (an object with PROFILE.md keys)."""
        p = Path(path)
        if not p.is_file():
            raise InputError("文件不存在", file=str(p))
        if p.stat().st_size > MAX_JSON_BYTES:
            raise InputError(f"文件过大（超过 {MAX_JSON_BYTES} 字节），不像单个企业", file=str(p))
        try:
            data = json.loads(p.read_bytes().decode("utf-8-sig"))
        except UnicodeDecodeError:
            raise InputError("不是 UTF-8 编码的 JSON", file=str(p)) from None
        except json.JSONDecodeError as e:
            raise InputError(f"JSON 格式错误：{e.msg}", file=str(p), line=e.lineno) from None
        return cls.from_dict(data, source=str(p))

    # ------------------------------------------------------------ views

    def to_dict(self) -> dict[str, Any]:
        """Known fields only (unknown ones omitted), ``certs`` included when known; JSON-ready."""
        out = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "certs"}
        out = {k: v for k, v in out.items() if v is not None}
        if self.certs is not None:
            out["certs"] = dict(self.certs)
        return out

    def to_frame(self) -> pd.DataFrame:
        """One row in the profiles contract: every input field (NA when unknown), ``size`` derived
        when not given, and ``certs.<code>`` columns only when qualifications are known."""
        data: dict[str, Any] = {name: [getattr(self, name)] for name in INPUT_FIELDS}
        if self.certs is not None:
            for code in CERT_CODES:
                data[f"certs.{code}"] = [self.certs.get(code)]
        frame = conform(pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in data.items()}))
        if self.size is None:
            frame["size"] = derive_size(frame)
        return frame

    def held(self, code: str) -> bool | None:
        """True/False when qualifications are known, None when unknown."""
        return None if self.certs is None else code in self.certs


def _py(v: Any) -> Any:
    """Frame scalar → plain Python (None for NA)."""
    if v is None or v is pd.NA or (isinstance(v, float) and v != v):
        return None
    if hasattr(v, "item"):
        return v.item()
    return v

