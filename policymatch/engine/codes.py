"""Code-prefix tests for ``within``: region (GB/T 2260) and industry (GB/T 4754-2017).

Why one module: the reference evaluator, the one-firm path and the vectorised engine must
agree on what "lies under" means (RULES.md): a region code covers another when, after its
trailing ``00`` pairs are dropped, it is a prefix of it (``140100`` → ``1401`` covers
``140105``); an industry 门类 letter covers its range of 大类 (``C`` = 13–43, from the bundled
GB/T 4754-2017 table), digits are a prefix (``35`` covers ``3562``), and ``I65`` is read as ``65``.

>>> region_prefix("140100"), region_within("140105", "140100"), region_within("140202", "140100")
('1401', True, False)
>>> industry_within("3562", "C"), industry_within("3562", "35"), industry_within("5211", ["B", "C", "D"])
(True, True, False)
>>> industry_prefixes("I65")
('65',)
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

__all__ = [
    "section_divisions",
    "region_prefix",
    "region_prefixes",
    "industry_prefixes",
    "normalise_industry",
    "region_within",
    "industry_within",
]



@lru_cache(maxsize=1)
def section_divisions() -> dict[str, tuple[str, ...]]:
    """门类 letter → its 大类 codes, from the bundled GB/T 4754-2017 table (``reference.industries``)."""
    from ..reference import industries

    t = industries().reset_index()
    div = t[t["level"] == "division"]
    return {s: tuple(sorted(g["code"])) for s, g in div.groupby("section")}


def _codes(value: str | Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def region_prefix(code: str) -> str:
    """Drop trailing ``00`` pairs: ``140000`` → ``14``, ``140100`` → ``1401``, ``140105`` unchanged."""
    c = code.strip()
    while len(c) >= 2 and c.endswith("00"):
        c = c[:-2]
    return c


@lru_cache(maxsize=4096)
def _region_prefixes(codes: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted({region_prefix(c) for c in codes}))


def region_prefixes(value: str | Iterable[str]) -> tuple[str, ...]:
    """The prefixes a firm's region code must start with for ``region within value``."""
    return _region_prefixes(_codes(value))


def normalise_industry(code: str) -> str:
    """A firm's or rule's industry code without a redundant leading 门类 letter (``C3562`` → ``3562``)."""
    c = code.strip().upper()
    if len(c) > 1 and c[0].isalpha() and c[1:].isdigit():
        return c[1:]
    return c


@lru_cache(maxsize=4096)
def _industry_prefixes(codes: tuple[str, ...]) -> tuple[str, ...]:
    out: set[str] = set()
    for raw in codes:
        c = normalise_industry(raw)
        out.update(section_divisions().get(c, (c,)) if c.isalpha() else (c,))
    return tuple(sorted(out))


def industry_prefixes(value: str | Iterable[str]) -> tuple[str, ...]:
    """Digit prefixes a firm's class code must start with for ``industry within value``."""
    return _industry_prefixes(_codes(value))


def region_within(firm_code: str, value: str | Iterable[str]) -> bool:
    """True when the firm's region lies under (or is) one of the codes."""
    return firm_code.strip().startswith(region_prefixes(value))


def industry_within(firm_code: str, value: str | Iterable[str]) -> bool:
    """True when the firm's industry class lies under one of the codes (letter, 大类, 中类 or class)."""
    return normalise_industry(firm_code).startswith(industry_prefixes(value))
