"""One family of exceptions, each saying where (file, line/row, field), what was expected and what was found.

Why: the CLI turns any ``PolicymatchError`` into one clear Chinese line for the user, and
an embedding platform can catch the base class and still show the location.

>>> str(RuleError("字段未知", file="rules/021.yaml", field="items[2].conditions[0].field"))
'rules/021.yaml items[2].conditions[0].field: 字段未知'
"""

from __future__ import annotations

__all__ = [
    "PolicymatchError",
    "InputError",
    "RuleError",
    "RegistryError",
    "ParseError",
    "StoreError",
]


class PolicymatchError(Exception):
    """Base of every error policymatch raises on purpose.

    Attributes ``file``, ``line``, ``row`` and ``field`` are optional and make up the
    location prefix of the message.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        line: int | None = None,
        row: int | None = None,
        field: str | None = None,
        problems: list[str] | None = None,
    ) -> None:
        self.message = message
        self.file = None if file is None else str(file)
        self.line = line
        self.row = row
        self.field = field
        self.problems = list(problems or [])
        super().__init__(str(self))

    def location(self) -> str:
        parts = []
        if self.file:
            where = self.file
            if self.line is not None:
                where += f":{self.line}"
            parts.append(where)
        if self.row is not None:
            parts.append(f"第{self.row}行")
        if self.field:
            parts.append(self.field)
        return " ".join(parts)

    def __str__(self) -> str:
        loc = self.location()
        return f"{loc}: {self.message}" if loc else self.message


class InputError(PolicymatchError):
    """A file or argument a user handed in cannot be used (missing, unreadable, wrong kind)."""


class RuleError(PolicymatchError):
    """A rule document does not follow RULES.md; ``problems`` lists every problem found."""


class RegistryError(PolicymatchError):
    """A registry file cannot be read as a whole (row-level problems go to rejects instead)."""


class ParseError(PolicymatchError):
    """A policy text cannot be parsed (not text, too large, undecodable)."""


class StoreError(PolicymatchError):
    """The results database is missing, locked, or not a policymatch store."""
