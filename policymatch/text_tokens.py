"""Chinese tokens for policy texts and queries: jieba with a policy-domain dictionary and synonyms.

Why one shared module: search, and any other area that ranks or classifies policy text, must cut
a query exactly as it cut the texts it indexed, or "高企" never meets "高新技术企业". The domain
words (专精特新, 免申即享, 研发费用 …) and the synonym groups are data files in
``policymatch/lexicon/`` so a reviewer can extend them without touching code. Traditional
characters are read as simplified (RULES.md: 繁體 reads as its simplified equivalent).

>>> tokens("高企 奖补")
['高新技术企业', '补助']
>>> "专精特新" in tokens("對專精特新企業給予獎勵")
True
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from functools import lru_cache
from importlib import resources

__all__ = ["normalize", "tokens", "synonyms", "STOP_WORDS"]

#: function words and policy boilerplate that say nothing about what a policy is for
STOP_WORDS = frozenset(
    "的 对 和 及 与 或 在 为 按 其 等 并 由 将 以 于 可 该 是 有 不 也 给予 予以 进行 相关 "
    "有关 以上 以下 以内 不超过 不低于 最高 每个 每家 一次 一次性 元 万元 亿元".split()
)
_LEXICON = "policymatch.lexicon"
_lock = threading.Lock()


def normalize(text: str) -> str:
    """Full-width → half-width, traditional → simplified, lower case.

    >>> normalize("ＡＢＣ 專精特新")
    'abc 专精特新'
    """
    text = unicodedata.normalize("NFKC", text or "")
    return _t2s().convert(text).lower()


@lru_cache(maxsize=1)
def _t2s():  # noqa: ANN202 - opencc has no type hints
    from opencc import OpenCC

    return OpenCC("t2s")


@lru_cache(maxsize=1)
def synonyms() -> dict[str, str]:
    """Token → the head word of its synonym group (``policymatch/lexicon/policy_synonyms.txt``).

    >>> synonyms()["补贴"]
    '补助'
    """
    out: dict[str, str] = {}
    text = resources.files(_LEXICON).joinpath("policy_synonyms.txt").read_text(encoding="utf-8")
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        for w in words[1:]:
            out[w] = words[0]
    return out


@lru_cache(maxsize=1)
def _tokenizer():  # noqa: ANN202 - jieba has no type hints
    """A private jieba Tokenizer with the domain dictionary: the global one stays untouched."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _lock:
        tk = jieba.Tokenizer()
        tk.initialize()
        terms = resources.files(_LEXICON).joinpath("policy_terms.txt").read_text(encoding="utf-8")
        for line in terms.splitlines():
            parts = line.split()
            if parts:
                tk.add_word(parts[0], int(parts[1]) if len(parts) > 1 else None, parts[2] if len(parts) > 2 else None)
        for word in synonyms():  # every synonym must come out of the cutter whole
            tk.add_word(word)
    return tk


def _is_word(tok: str) -> bool:
    return any(ch.isalnum() for ch in tok) and tok not in STOP_WORDS


def tokens(text: str) -> list[str]:
    """Search-mode jieba tokens of ``text``, stop words dropped, synonyms mapped to their head word.

    Search mode also emits the parts of long words (高新技术企业 → 高新, 技术, …), so a query
    naming a part still meets the whole.

    >>> tokens("研发费用补贴")
    ['研发', '费用', '研发', '补助']
    """
    syn = synonyms()
    return [syn.get(t, t) for t in _tokenizer().cut_for_search(normalize(text)) if _is_word(t)]
