"""policymatch: 政策找企业 — make benefit policies find the enterprises they are meant for.

The public surface is listed in ``__all__``; everything else is private and may change.
Names load on first use (PEP 562), so ``import policymatch`` and the CLI stay quick while
search (scikit-learn) or the engine are only imported by whoever calls them.

>>> import policymatch as pm
>>> doc = pm.parse_text("关于支持科技创新的若干措施\\n一、对首次认定的国家高新技术企业，给予一次性奖励30万元。")
>>> doc.items[0].benefit.amount
300000
>>> pm.search_policies("高新技术企业 奖励", limit=1)[0].items[0].name
'首次认定高新技术企业奖励'
>>> "申请条件" in pm.explain_policy("027", "2-1").to_text()
True
>>> pm.match_one({"region": "140171", "certs": {"srdi_giant": "2025-03-01"}}, as_of="2025-06-30").items[0].amount
500000
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from .errors import InputError, ParseError, PolicymatchError, RegistryError, RuleError, StoreError

__version__ = "0.1.0"

#: public name → the module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    # rules: parse a policy text, load and validate reviewed rule files
    "parse_text": "policymatch.parse",
    "parse_file": "policymatch.parse",
    "load_rules": "policymatch.model",
    "check_rule_paths": "policymatch.model",
    "Document": "policymatch.model",
    "Item": "policymatch.model",
    "bundled_rules_dir": "policymatch.bundled",
    "bundled_policies_dir": "policymatch.bundled",
    # firms: one interactively, or a whole table in bounded chunks
    "Firm": "policymatch.firm",
    "load_firm": "policymatch.api",
    "match_one": "policymatch.api",
    "match_table": "policymatch.api",
    "compiled_rules": "policymatch.api",
    "FirmResult": "policymatch.engine",
    # find and explain
    "search_policies": "policymatch.api",
    "SearchHit": "policymatch.search",
    "explain_policy": "policymatch.api",
    "get_policy": "policymatch.api",
    "interpret": "policymatch.interpret",
    "Interpretation": "policymatch.interpret",
    "rules_from": "policymatch.api",
}

__all__ = [
    "__version__",
    "PolicymatchError",
    "InputError",
    "RuleError",
    "RegistryError",
    "ParseError",
    "StoreError",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'policymatch' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


if TYPE_CHECKING:  # static type checkers see the real names
    from .bundled import bundled_policies_dir, bundled_rules_dir
    from .api import (
        compiled_rules,
        explain_policy,
        get_policy,
        load_firm,
        match_one,
        match_table,
        rules_from,
        search_policies,
    )
    from .engine import FirmResult
    from .firm import Firm
    from .interpret import Interpretation, interpret
    from .model import Document, Item, check_rule_paths, load_rules
    from .parse import parse_file, parse_text
    from .search import SearchHit
