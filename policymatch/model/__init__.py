"""The rule model of RULES.md: typed documents, validation and rule-file I/O."""

from .io import check_rule_paths, dump_document, load_rule_file, load_rules, write_document
from .schema import document_from_dict, validate_dict
from .types import AnyGroup, Benefit, Condition, Document, Item

__all__ = [
    "AnyGroup",
    "Benefit",
    "Condition",
    "Document",
    "Item",
    "check_rule_paths",
    "document_from_dict",
    "dump_document",
    "load_rule_file",
    "load_rules",
    "validate_dict",
    "write_document",
]
