"""统一社会信用代码 (GB 32100-2015): one-code check via python-stdnum, and a vectorised twin for bulk work.

Why two: ``is_valid_uscc`` is the kept library's verdict (used for one firm and as the
independent check in tests); the registry loader and the generator handle millions of codes,
where a per-code Python call costs ~11 µs each, so they use the numpy version, which the tests
prove agrees with python-stdnum.

>>> is_valid_uscc("914403001922038216"), is_valid_uscc("914403001922038217")
(True, False)
>>> uscc_problems(pd.Series(["914403001922038216", "91440300192203821", "914403001922038217"])).tolist()
[None, '统一社会信用代码应为18位（实为17位）', '统一社会信用代码校验位错误']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
from stdnum.cn import uscc as _stdnum_uscc

__all__ = ["USCC_CHARSET", "is_valid_uscc", "check_chars", "uscc_problems", "normalise_uscc"]

USCC_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = np.array([pow(3, i, 31) for i in range(17)], dtype=np.int64)
#: byte value → index in the charset, -1 for characters a USCC cannot hold
_LOOKUP = np.full(256, -1, dtype=np.int64)
for _i, _c in enumerate(USCC_CHARSET):
    _LOOKUP[ord(_c)] = _i
_STR = pd.ArrowDtype(pa.string())
_CHARS = np.frombuffer(USCC_CHARSET.encode("ascii"), dtype="S1")


def is_valid_uscc(code: str) -> bool:
    """True when ``code`` is a well-formed USCC with the right check character (python-stdnum)."""
    if not isinstance(code, str):
        return False
    code = code.strip()
    return len(code) == 18 and bool(_stdnum_uscc.is_valid(code))  # 18 before compaction: no inner blanks


def normalise_uscc(s: pd.Series) -> pd.Series:
    """Strip blanks and upper-case (codes are often typed in lower case or padded); NA stays NA."""
    if not pd.api.types.is_string_dtype(s.dtype) or s.dtype == object:
        s = s.astype(object).map(lambda v: None if v is None or v != v else str(v))
    return s.astype(_STR).str.strip().str.upper()


def check_chars(first17: np.ndarray) -> np.ndarray:
    """Check character for each row of an (n, 17) array of charset indices → ``S1`` array."""
    total = (first17.astype(np.int64) * _WEIGHTS).sum(axis=1)
    return _CHARS[(31 - total % 31) % 31]


def uscc_problems(codes: pd.Series) -> pd.Series:
    """Chinese reason per code (None when valid); codes are expected normalised (see ``normalise_uscc``)."""
    s = codes.astype(_STR)
    out = np.full(len(s), None, dtype=object)
    missing = (s.isna() | (s == "")).to_numpy(dtype=bool, na_value=True)
    out[missing] = "缺少统一社会信用代码"
    lengths = s.str.len().to_numpy(dtype=np.int64, na_value=0)
    wrong_len = ~missing & (lengths != 18)
    out[wrong_len] = [f"统一社会信用代码应为18位（实为{n}位）" for n in lengths[wrong_len]]
    full = np.flatnonzero(~missing & ~wrong_len)
    if len(full):
        raw = np.array(s.iloc[full].tolist(), dtype="U18")
        codepoints = raw.view(np.uint32).reshape(-1, 18)
        b = np.where(codepoints < 128, codepoints, 0).astype(np.uint8)
        idx = _LOOKUP[b]
        # like python-stdnum: chars 1–8 digits (enterprises are 91/92/93; A/N/Y-registered bodies are not firms)
        digits = (b[:, :8] >= ord("0")) & (b[:, :8] <= ord("9"))
        bad_chars = (idx < 0).any(axis=1) | ~digits.all(axis=1)
        expected = check_chars(np.where(idx[:, :17] < 0, 0, idx[:, :17]))
        bad_check = ~bad_chars & (expected != b[:, 17].copy().view("S1"))
        out[full[bad_chars]] = "统一社会信用代码含非法字符（前8位须为数字，不含I、O、S、V、Z）"
        out[full[bad_check]] = "统一社会信用代码校验位错误"
    return pd.Series(out, index=codes.index, dtype=object)
