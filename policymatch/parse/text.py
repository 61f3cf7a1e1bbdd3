"""Decode policy files, normalise their text without moving offsets, and cut it into numbered sentences.

Why length-preserving: every rule keeps the verbatim span it came from, so the parser works on a
normalised copy (half-width digits and punctuation, simplified characters, page junk blanked out)
whose character ``i`` is the source's character ``i``. Output spans are cut from the source.

>>> t = normalise("營業收入１０００萬元（含）以上")
>>> t
'营业收入1000万元(含)以上'
>>> len(t) == len("營業收入１０００萬元（含）以上")
True
>>> [s.text for s in segment("一、总则\\n1.对企业给予奖励10万元；另给予补助。")][1:]
['对企业给予奖励10万元；', '另给予补助。']
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from ..errors import ParseError
from ._lexicon import words

__all__ = ["MAX_INPUT_BYTES", "decode", "normalise", "Sentence", "segment", "HEADING_LEVELS"]

#: a policy text is never this large; refuse rather than spend minutes (a 10 MB file still parses)
MAX_INPUT_BYTES = 16 * 1024 * 1024

_ODD = re.compile("[\ue000-\uf8ff\ufffd]")


def _oddness(text: str) -> int:
    """Private-use and replacement characters: a wrong decoding produces them, real text does not."""
    return len(_ODD.findall(text[:100_000]))


def decode(data: bytes, source: str | None = None) -> str:
    """Bytes → text: UTF-8, else GB18030 (a superset of GBK/GB2312), else charset detection.

    >>> decode("补助".encode("gbk"))
    '补助'
    """
    if len(data) > MAX_INPUT_BYTES:
        raise ParseError(f"文件过大（{len(data)} 字节，上限 {MAX_INPUT_BYTES}）", file=source)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError("不是文本文件（含有二进制内容）", file=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    candidates = []
    for enc in ("gb18030", "big5"):  # GB18030 ⊃ GBK ⊃ GB2312; Big5 for 繁體 pages
        try:
            candidates.append(data.decode(enc))
        except UnicodeDecodeError:
            continue
    if candidates:  # GB18030 decodes almost anything: prefer the reading with the fewest odd characters
        return min(candidates, key=_oddness)
    from charset_normalizer import from_bytes

    best = from_bytes(data[:200_000]).best()
    if best is None or best.encoding is None:
        raise ParseError("无法识别文本编码（应为 UTF-8、GBK 或 GB18030）", file=source)
    return data.decode(best.encoding, errors="replace")


# Full-width ASCII → half-width, ideographic space → space, and a few look-alike marks.
_WIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)}
_WIDTH.update({0x3000: 0x20, 0x00A0: 0x20, ord("﹪"): ord("%"), ord("—"): ord("-"), ord("－"): ord("-"),
               ord("～"): ord("~"), ord("〜"): ord("~"), ord("．"): ord("."), ord("Ｏ"): ord("0")})
# Keep Chinese sentence punctuation (，。；：、) as it is: it is what the segmenter reads.
for _c in "，；：？！":
    _WIDTH.pop(ord(_c), None)
_ANNOTATION = re.compile(r"[(（][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüń]{1,7}[)）]")


@cache
def _t2s():
    import opencc

    return opencc.OpenCC("t2s")


_T2S_TABLE: dict[int, str] = {}


def _to_simplified(text: str) -> str:
    """繁→简 character by character (one character in, one out: offsets stay), with a growing table."""
    conv = _t2s()
    for c in set(text) - {chr(k) for k in _T2S_TABLE}:
        if c >= "\u3400":  # only CJK characters have simplified forms
            s = conv.convert(c)
            _T2S_TABLE[ord(c)] = s if len(s) == 1 else c
    return text.translate(_T2S_TABLE)


_TRAD_HINT = re.compile("[們業區發內萬億與為會關對條補獎貼資產營稅額該時經這實計業縣鎮級權區]")


def normalise(text: str) -> str:
    """Same-length copy for matching: half-width forms, simplified characters, annotations blanked."""
    t = text.translate(_WIDTH)
    if _TRAD_HINT.search(t):
        t = _to_simplified(t)
    t = _ANNOTATION.sub(lambda m: " " * len(m.group()), t)
    return t


#: numbering patterns, outermost first: 第X条/章, 一、, （一）, 1., （1）
HEADING_LEVELS: tuple[tuple[int, re.Pattern[str]], ...] = (
    (0, re.compile(r"^\s*第[一二三四五六七八九十百零〇\d]+[章节]\s*")),
    (1, re.compile(r"^\s*第[一二三四五六七八九十百零〇\d]+条\s*")),
    (1, re.compile(r"^\s*[一二三四五六七八九十]+\s*[、.]\s*")),
    (2, re.compile(r"^\s*[(][一二三四五六七八九十]+[)]\s*")),
    (3, re.compile(r"^\s*\d{1,2}\s*[、.](?!\d)\s*")),
    (4, re.compile(r"^\s*[(]\d{1,2}[)]\s*")),
    (4, re.compile(r"^\s*[①②③④⑤⑥⑦⑧⑨⑩]\s*")),
)
_SENT_END = re.compile(r"[。；;!?！？]+|\n")
_BRACKET_TITLE = re.compile(r"^\s*【([^】]{1,30})】")


@dataclass(frozen=True)
class Sentence:
    """One sentence (to 。 or ；) with its source offsets and the numbered headings above it."""

    text: str  # normalised text of the sentence
    start: int
    end: int
    number: tuple[str, ...]  # numbering labels of the enclosing paragraphs, e.g. ("二", "3")
    headings: tuple[str, ...] = field(default=())  # short titles of enclosing numbered paragraphs
    line: int = 0  # index of its line
    line_start: bool = False  # first sentence of its line


@cache
def _junk_regex() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in words("junk_lines")))


def _label(m: re.Match[str]) -> str:
    return re.sub(r"[\s第条章节、.()]", "", m.group()) or m.group().strip()


def segment(norm: str) -> list[Sentence]:
    """Cut normalised text into sentences, tracking numbering (一、（一）1.（1）第X条) as context."""
    out: list[Sentence] = []
    stack: dict[int, tuple[str, str]] = {}  # level → (label, heading text)
    pos = 0
    for li, line in enumerate(norm.split("\n")):
        start = pos
        pos += len(line) + 1
        stripped = line.strip()
        if not stripped or _junk_regex().search(stripped):
            continue
        body_off = 0
        for level, pat in HEADING_LEVELS:
            m = pat.match(line)
            if m:
                title = _heading_title(line[m.end():])
                stack = {k: v for k, v in stack.items() if k < level}
                stack[level] = (_label(m), title)
                body_off = m.end()
                break
        number = tuple(v[0] for _, v in sorted(stack.items()))
        heads = tuple(v[1] for _, v in sorted(stack.items()) if v[1])
        first = True
        s0 = start + body_off
        for m in _sentence_ends(line, body_off):
            s1 = start + m
            text = norm[s0:s1]
            if text.strip():
                lead = len(text) - len(text.lstrip())
                trail = len(text) - len(text.rstrip())
                out.append(Sentence(text.strip(), s0 + lead, s1 - trail, number, heads, li, first))
                first = False
            s0 = s1
    return out


#: a "sentence" longer than this (a page without punctuation) is cut, which bounds the work per sentence
MAX_SENTENCE_CHARS = 1000


def _sentence_ends(line: str, start: int) -> list[int]:
    """Offsets (within the line) where sentences end: after 。；!? or the line's end, at most every 1000 chars."""
    ends = []
    prev = start
    for m in _SENT_END.finditer(line, start):
        if m.group() == "\n":
            continue
        while m.end() - prev > MAX_SENTENCE_CHARS:
            prev += MAX_SENTENCE_CHARS
            ends.append(prev)
        ends.append(m.end())
        prev = m.end()
    while len(line) - prev > MAX_SENTENCE_CHARS:
        prev += MAX_SENTENCE_CHARS
        ends.append(prev)
    if prev < len(line):
        ends.append(len(line))
    return ends


def _heading_title(rest: str) -> str:
    """The short title of a numbered paragraph: 【…】, a line without a full stop, or its first sentence."""
    m = _BRACKET_TITLE.match(rest)
    if m:
        return m.group(1)
    head = re.split(r"[。；;:：]", rest, maxsplit=1)[0].strip()
    return head if len(head) <= 40 else ""
