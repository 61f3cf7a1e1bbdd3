"""The matching engine: compile rules once, evaluate a registry as columns or one firm with reasons.

>>> from policymatch.model import document_from_dict
>>> import pandas as pd
>>> doc = document_from_dict({"region": "140100", "items": [{"id": "1",
...     "conditions": [{"field": "revenue", "op": "gte", "value": 50000000}],
...     "benefit": {"kind": "award", "amount": 300000}}]}, "d")
>>> firms = pd.DataFrame({"uscc": ["A", "B", "C"], "region": ["140105", "140105", "140202"],
...                       "revenue": [60_000_000, None, 60_000_000]})
>>> out = evaluate(compile_rules([doc]), firms, "2025-01-01")
>>> out[["uscc", "status", "amount"]].astype(str).values.tolist()
[['A', 'eligible', '300000'], ['B', 'unknown', '300000'], ['C', 'ineligible', '300000']]
"""

from .compile import CompiledRules, compile_rules
from .onefirm import match_firm
from .result import FirmResult, ItemMatch
from .vectorised import RESULT_COLUMNS, STATUSES, evaluate

__all__ = ["CompiledRules", "compile_rules", "evaluate", "match_firm", "FirmResult", "ItemMatch", "STATUSES", "RESULT_COLUMNS"]
