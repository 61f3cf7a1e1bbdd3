"""``parse_text`` / ``parse_file``: the parser's public entry points, bounded in size and time.

Why bounded: a user may hand in any file (a binary, a 10 MB dump); the parser either returns a
Document or raises one :class:`ParseError` saying why, never a traceback.

>>> parse_text(b"").items
()
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

from ..errors import ParseError
from ..model.types import Condition, Document
from .conditions import exclusion_atoms, term_atoms
from .items import _SCOPE_HEAD, _SCOPE_SENT, Context, build_items, is_benefit_sentence
from .meta import definitions, doc_number, issued_date, issuer_of, region_of, title_of, validity
from .text import MAX_INPUT_BYTES, decode, normalise, segment

__all__ = ["parse_text", "parse_file", "MAX_INPUT_CHARS"]

#: characters parsed at most: a policy document (even a 汇编 of several) is far shorter; a longer input is
#: refused with one clear ParseError rather than parsed for minutes (parsing runs at ~150k characters/s)
MAX_INPUT_CHARS = 600_000


def parse_text(text: str | bytes, doc_id: str = "doc", source: str | None = None) -> Document:
    """Parse one policy text (str, or bytes in UTF-8/GBK/GB18030) into a Document.

    >>> parse_text("对新认定的专精特新中小企业，给予一次性奖励20万元。".encode("gbk")).items[0].benefit.amount
    200000
    """
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), source)
    if not isinstance(text, str):
        raise ParseError(f"应为文本，实际为 {type(text).__name__}", file=source)
    if len(text) > MAX_INPUT_CHARS:
        raise ParseError(f"文本过长（{len(text)} 字，上限 {MAX_INPUT_CHARS}）", file=source)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise ParseError("不是文本文件（含有二进制内容）", file=source)
    norm = normalise(text)
    sentences = segment(norm)
    lines = norm.split("\n")
    title_n = title_of(lines)
    ti = norm.find(title_n) if title_n else -1
    title = text[ti:ti + len(title_n)].strip() if ti >= 0 else title_n
    issuer_n = issuer_of(lines, title_n)
    issued = issued_date(lines)
    valid_from, valid_to = validity(norm, issued)
    region = region_of(title_n, issuer_n, norm[:400])
    ctx = replace(_context(sentences, norm), region=region)
    items = build_items(sentences, text, ctx)
    return Document(
        id=doc_id,
        title=title,
        issuer=issuer_n,
        doc_number=doc_number(norm),
        valid_from=valid_from,
        valid_to=valid_to,
        region=region,
        items=tuple(items),
        source=source,
    )


def _context(sentences, norm: str) -> Context:
    """Document-wide conditions: exclusions (失信, 重大违法) and scope clauses (申请条件, 适用本办法的企业)."""
    doc_conds: list[Condition] = []
    scope_industry: list[Condition] = []
    for s in sentences:
        if is_benefit_sentence(s.text):
            continue
        doc_conds.extend(exclusion_atoms(s.text))
        if any(_SCOPE_HEAD.search(h) for h in s.headings):
            doc_conds.extend(c for c in term_atoms(s.text) if c.field != "industry")
            scope_industry.extend(c for c in term_atoms(s.text) if c.field == "industry")
        elif _SCOPE_SENT.search(s.text) and not re.search(r"等[^，,。；]{0,6}(?:企业|行业|产业)", s.text):
            # an open list ("批发零售、住宿餐饮、进出口等商贸企业") names no one sector
            scope_industry.extend(c for c in term_atoms(s.text) if c.field == "industry")
    local = tuple((m.group("stem")[-2:], m.group("code")) for m in _LOCAL_CODE.finditer(norm[:200_000]))
    return Context(definitions(norm), tuple(_unique(doc_conds)), tuple(_unique(scope_industry)[:1]),
                   local_industry=local)


#: "批发业（国民经济行业大类代码〔以下简称行业代码〕51）", "住宿业（行业代码61）": the text's own codes
_LOCAL_CODE = re.compile(r"(?P<stem>[\u4e00-\u9fa5]{2,6}?)业[(（][^)）]{0,24}?代码[^)）\d]{0,12}(?P<code>\d{2,4})[)）]")


def _unique(conds: list[Condition]) -> list[Condition]:
    seen, out = set(), []
    for c in conds:
        if c.key not in seen:
            seen.add(c.key)
            out.append(c)
    return out


def parse_file(path: str | Path) -> Document:
    """Parse one ``.txt`` file; the document id is the file stem (``021.txt`` → ``021``).

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "021.txt"
    >>> _ = f.write_text("对首次认定的国家高新技术企业，给予一次性奖励30万元。", encoding="utf-8")
    >>> parse_file(f).id
    '021'
    """
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > MAX_INPUT_BYTES:
            raise ParseError(f"文件过大（{size} 字节，上限 {MAX_INPUT_BYTES}）", file=str(p))
        data = p.read_bytes()
    except OSError as e:
        raise ParseError(f"无法读取：{e.strerror or e}", file=str(p)) from None
    return parse_text(data, doc_id=p.stem, source=str(p))
