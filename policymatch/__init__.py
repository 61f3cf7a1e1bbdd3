"""policymatch: 政策找企业 — make benefit policies find the enterprises they are meant for.

The public surface is listed in ``__all__``; everything else is private and may change.
"""

from __future__ import annotations

from .errors import InputError, ParseError, PolicymatchError, RegistryError, RuleError, StoreError
from .model import Document, Item, check_rule_paths, load_rules

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "PolicymatchError",
    "InputError",
    "RuleError",
    "RegistryError",
    "ParseError",
    "StoreError",
    "Document",
    "Item",
    "load_rules",
    "check_rule_paths",
]
