"""Region and industry code overlap (RULES.md ``within``), for filters that know only a code.

Why: a search filter holds a code, not a firm; it must keep a policy whenever some firm in that
code could fall under the policy's code. For a full 6-digit county or 4-digit class code this is
exactly RULES.md's ``within``; for a broader code it keeps what might apply.

>>> overlaps("region", "140100", "140105"), overlaps("region", "140100", "330302")
(True, False)
>>> overlaps("industry", "C", "3562"), overlaps("industry", "I65", "6510"), overlaps("industry", "C", "5211")
(True, True, False)
"""

from __future__ import annotations

__all__ = ["overlaps", "section_of", "SECTION_DIVISIONS"]

#: GB/T 4754-2017 门类 → its 大类 range (inclusive); checked against data/reference in the tests
SECTION_DIVISIONS: dict[str, tuple[int, int]] = {
    "A": (1, 5), "B": (6, 12), "C": (13, 43), "D": (44, 46), "E": (47, 50), "F": (51, 52), "G": (53, 60),
    "H": (61, 62), "I": (63, 65), "J": (66, 69), "K": (70, 70), "L": (71, 72), "M": (73, 75), "N": (76, 79),
    "O": (80, 82), "P": (83, 83), "Q": (84, 85), "R": (86, 90), "S": (91, 96), "T": (97, 97),
}


def section_of(code: str) -> str | None:
    """门类 letter of an industry code ("3562" → "C"); None when the code is not one."""
    if code[:1].isalpha():
        return code[0].upper()
    if len(code) < 2 or not code[:2].isdigit():
        return None
    division = int(code[:2])
    return next((s for s, (lo, hi) in SECTION_DIVISIONS.items() if lo <= division <= hi), None)


def _region_key(code: str) -> str:
    """Drop trailing zero pairs: 140100 → 1401, 140000 → 14."""
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


def _industry_parts(code: str) -> tuple[str | None, str]:
    """("C", "") for a 门类; (section, digits) otherwise; "I65" → ("I", "65")."""
    code = code.strip().upper()
    digits = code.lstrip("ABCDEFGHIJKLMNOPQRST")
    return section_of(code), digits


def overlaps(field: str, rule_code: str, code: str) -> bool:
    """True when some firm under ``code`` may lie within the rule's ``rule_code`` (prefix either way)."""
    if field == "region":
        a, b = _region_key(str(rule_code)), _region_key(str(code))
        return a.startswith(b) or b.startswith(a)
    (sa, da), (sb, db) = _industry_parts(str(rule_code)), _industry_parts(str(code))
    if sa is not None and sb is not None and sa != sb:
        return False
    return da.startswith(db) or db.startswith(da)
