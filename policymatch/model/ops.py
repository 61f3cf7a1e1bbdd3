"""The condition operators of RULES.md as one table: arity of the value and Chinese wording.

Why a table: the validator, the explanation renderer and the engines all consult it;
adding an operator is one row here, not an ``if op == ...`` chain in every module.
The numeric kernels live with the engines (vectorised and reference), keyed by these names.

>>> OPS["gte"].words
'不低于'
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Op", "OPS", "VALUE_KINDS"]


@dataclass(frozen=True)
class Op:
    name: str
    #: what the value must be: scalar, number, pair, list, code, date_or_null, none
    value_kind: str
    #: Chinese wording placed between field label and value in explanations
    words: str


_TABLE = [
    Op("eq", "scalar", "为"),
    Op("ne", "scalar", "不为"),
    Op("gt", "number", "高于"),
    Op("gte", "number", "不低于"),
    Op("lt", "number", "低于"),
    Op("lte", "number", "不高于"),
    Op("between", "pair", "介于"),
    Op("in", "list", "属于"),
    Op("not_in", "list", "不属于"),
    Op("within", "code", "位于"),
    Op("has", "none", "具有"),
    Op("since", "date_or_null", "新认定"),
    Op("crosses", "number", "首次达到"),
    Op("text", "none", "需人工核实"),
]

OPS: dict[str, Op] = {o.name: o for o in _TABLE}
VALUE_KINDS = {o.value_kind for o in _TABLE}
