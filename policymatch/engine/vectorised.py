"""Evaluate a chunk of firms against compiled rules as columns: statuses, counts, amounts, near misses.

Why columns: a registry of millions of firms is evaluated predicate by predicate over whole arrays
(two boolean masks per predicate, Kleene AND/OR across an item's nodes), never firm by firm.
Shared predicates are computed once per chunk; each item's nodes run cheap selective ones first.
Rows already decided are skipped: when ineligible rows are not wanted, a document's items are
evaluated only on the firms its region does not exclude (one subset per region, shared by all
documents of that region), and an item stops as soon as every remaining firm is ineligible.

Output (one row per kept firm × in-force item; items in compiled order, firms in frame order): ``uscc,
policy_id, item_id, status, amount, granted, n_met, n_unmet, n_unknown, score, near_miss`` and
``auto`` (免申即享: granted and ``apply_mode`` auto).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
from ..fields import FIELDS
from .benefit import amounts_for, rate_base_field
from .columns import Columns
from .compile import CompiledItem, CompiledRules
from .kernels import Tri, evaluate_predicate
from .nearmiss import NEAR_MISS_WITHIN, closable, gap_arrays

__all__ = ["evaluate", "STATUSES", "RESULT_COLUMNS", "empty_result"]

#: status codes 0, 1, 2 (also the ranking order)
STATUSES = ("eligible", "unknown", "ineligible")
RESULT_COLUMNS = [
    "uscc", "policy_id", "item_id", "status", "amount", "granted",
    "n_met", "n_unmet", "n_unknown", "score", "near_miss", "auto",
]  # fmt: skip
_KEEP_CHOICES = (*STATUSES, "near_miss")
#: evaluate a region's documents on a subset of rows when it holds less than this share of the chunk
_SUBSET_BELOW = 0.8


class _Chunk:
    """Per-chunk (or per-region subset) state: converted columns and the predicate cache."""

    def __init__(self, compiled: CompiledRules, cols: Columns) -> None:
        self.compiled = compiled
        self.cols = cols
        self.n = cols.n
        self._preds: dict[int, Tri] = {}

    def pred(self, pid: int) -> Tri:
        if pid not in self._preds:
            self._preds[pid] = evaluate_predicate(self.cols, self.compiled.predicates[pid])
        return self._preds[pid]

    def node(self, node: tuple[int, ...]) -> Tri:
        t, f = self.pred(node[0])
        for pid in node[1:]:  # an ``any`` group: Kleene OR
            t2, f2 = self.pred(pid)
            t, f = t | t2, f & f2
        return t, f

    def subset(self, rows: np.ndarray) -> _Chunk:
        return _Chunk(self.compiled, self.cols.subset(rows))


class _ItemResult:
    """An item over a chunk: true / false masks of the whole item, its amount, who gets it."""

    __slots__ = ("entry", "t", "f", "amount", "known", "granted")

    def __init__(self, entry: CompiledItem, t: np.ndarray, f: np.ndarray, amount, known) -> None:  # noqa: ANN001
        self.entry, self.t, self.f, self.amount, self.known = entry, t, f, amount, known
        self.granted: np.ndarray | None = None

    def amounts_at(self, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(int64 amounts, known) at positions ``idx``."""
        if isinstance(self.amount, np.ndarray):
            return self.amount[idx], self.known[idx]
        return np.full(len(idx), 0 if self.amount is None else self.amount, np.int64), np.full(len(idx), self.known)


def _evaluate_item(ch: _Chunk, e: CompiledItem, stop_when_all_false: bool) -> _ItemResult:
    t_all = np.ones(ch.n, bool)
    f_any = np.zeros(ch.n, bool)
    for k in e.eval_order:
        t, f = ch.node(e.nodes[k])
        t_all &= t
        f_any |= f
        if stop_when_all_false and f_any.all():
            break
    b = e.item.benefit
    base = rate_base_field(b) if b.amount is None else None
    if base is not None:
        vals, known = ch.cols.integers(base)
        amount, known = amounts_for(b, vals, known)
    else:
        amount = b.amount if b.amount is not None else (b.cap if b.cap is not None else b.max_amount)
        known = amount is not None
    return _ItemResult(e, t_all, f_any, amount, known)


def _grant(results: list[_ItemResult], n: int) -> None:
    """granted = eligible, and within an exclusive group only the best eligible item (``benefit.group_key``)."""
    groups: dict[tuple[str, str], list[_ItemResult]] = {}
    for r in results:
        if r.entry.group is None:
            r.granted = r.t
        else:
            groups.setdefault(r.entry.group, []).append(r)
    for members in groups.values():
        best = np.full(n, -1, np.int32)
        best_a = np.full(n, -2, np.int64)
        best_m = np.full(n, -2, np.int64)
        for j, r in enumerate(members):  # document order: on a full tie the earlier item stays
            a = np.where(r.known, r.amount, -1) if isinstance(r.amount, np.ndarray) else (-1 if r.amount is None else r.amount)
            m = -1 if r.entry.item.benefit.max_amount is None else r.entry.item.benefit.max_amount
            better = r.t & ((a > best_a) | ((a == best_a) & (m > best_m)))
            best[better] = j
            best_a = np.where(better, a, best_a)
            best_m[better] = m
        for j, r in enumerate(members):
            r.granted = best == j


def _near(ch: _Chunk, r: _ItemResult, within: float) -> tuple[np.ndarray, list]:
    """Rows where the item fails only on closable numeric conditions within ``within``, and the gaps."""
    blocked = np.zeros(ch.n, bool)
    gaps = []
    for node in r.entry.nodes:
        _, f = ch.node(node)
        p = ch.compiled.predicates[node[0]]
        if len(node) != 1 or not closable(p):
            blocked |= f
            continue
        x = ch.cols.number(p.field)
        g, rel = gap_arrays(p, x)
        with np.errstate(invalid="ignore"):
            ok = f & (g >= 0) & (rel <= within)
            if p.op == "crosses":  # over the threshold last year already: cannot "first reach" it any more
                ok &= ~(ch.cols.number(f"{p.field}_prev") >= p.value)
        blocked |= f & ~ok
        gaps.append((p, f, x, g, rel))
    return r.f & ~blocked, gaps


def _fmt_num(x: np.ndarray, integral: bool) -> pa.Array:
    if integral:
        return pa.array(np.round(x).astype(np.int64)).cast(pa.string())
    return pa.array(np.round(x, 6)).cast(pa.string())


def _near_json(r: _ItemResult, gaps: list, idx: np.ndarray, met: np.ndarray, unmet: np.ndarray) -> pa.Array:
    """JSON text per near-miss row: {"then", "amount", "gaps": [...]} with gaps by relative shortfall."""
    m = len(idx)
    pieces, rels = [], []
    for p, f, x, g, rel in gaps:
        fail = f[idx]
        integral = FIELDS[p.field].kind in ("money", "int")
        xi = x[idx]
        if p.op == "between":
            lo, hi = p.value
            low = np.zeros(m, bool) if lo is None else xi < lo
            thr = _fmt_num(np.where(low, 0 if lo is None else lo, 0 if hi is None else hi), integral)
        else:
            thr = pa.array(np.full(m, str(p.value)), pa.string())
        piece = pc.binary_join_element_wise(
            f'{{"field":"{p.field}","op":"{p.op}","threshold":', thr, ',"value":', _fmt_num(xi, integral),
            ',"gap":', _fmt_num(g[idx], integral), ',"relative":', _fmt_num(rel[idx], False), "}", "",
        )
        pieces.append(pc.if_else(pa.array(fail), piece, pa.scalar(None, pa.string())))
        rels.append(np.where(fail, rel[idx], np.inf))
    if pieces:
        order = np.argsort(np.stack(rels, axis=1), axis=1, kind="stable")
        ranked = [pc.choose(pa.array(order[:, k]), *pieces) for k in range(len(pieces))]
        joined = pc.binary_join_element_wise(*ranked, ",", null_handling="skip")
    else:
        joined = pa.array(np.full(m, ""), pa.string())
    # once the gaps are closed the failing nodes are met: eligible unless some node is unknown
    then = np.where(met + unmet == r.entry.n_nodes, "eligible", "unknown")
    a, known = r.amounts_at(idx)
    amount = pc.if_else(pa.array(known), pa.array(a).cast(pa.string()), "null")
    return pc.binary_join_element_wise('{"then":"', pa.array(then), '","amount":', amount, ',"gaps":[', joined, "]}", "")


def _check_keep(keep: Iterable[str]) -> frozenset[str]:
    keep = frozenset(keep)
    bad = keep - set(_KEEP_CHOICES)
    if bad:
        raise InputError(f"keep 只能取 {', '.join(_KEEP_CHOICES)}；实际为 {sorted(bad)}")
    return keep


class _Collector:
    """Kept rows of every item, concatenated once at the end into the result frame."""

    def __init__(self) -> None:
        self.parts: dict[str, list] = {k: [] for k in (
            "idx", "which", "status", "amount", "known", "granted", "met", "unmet", "unknown", "score", "near", "auto")}  # fmt: skip

    def add(self, **cols) -> None:  # noqa: ANN003
        for k, v in cols.items():
            self.parts[k].append(v)

    def frame(self, uscc: pd.Series, entries: list[CompiledItem]) -> pd.DataFrame:
        if not self.parts["idx"]:
            return empty_result()
        # items in compiled order (documents were visited region by region)
        order = sorted(range(len(self.parts["which"])), key=lambda k: self.parts["which"][k][0])
        c = {k: np.concatenate([v[j] for j in order]) for k, v in self.parts.items() if k != "near"}
        near = pa.concat_arrays([self.parts["near"][j] for j in order])
        policy_ids = sorted({e.policy_id for e in entries})
        item_ids = sorted({e.item_id for e in entries})
        pcode = {p: k for k, p in enumerate(policy_ids)}
        icode = {p: k for k, p in enumerate(item_ids)}
        e_p = np.array([pcode[e.policy_id] for e in entries], np.int32)
        e_i = np.array([icode[e.item_id] for e in entries], np.int32)
        return pd.DataFrame({
            "uscc": pd.arrays.ArrowExtensionArray(_text(uscc).take(pa.array(c["idx"]))),
            "policy_id": pd.Categorical.from_codes(e_p[c["which"]], categories=policy_ids),
            "item_id": pd.Categorical.from_codes(e_i[c["which"]], categories=item_ids),
            "status": pd.Categorical.from_codes(c["status"], categories=list(STATUSES)),
            "amount": pd.arrays.IntegerArray(c["amount"], ~c["known"]),
            "granted": c["granted"],
            "n_met": c["met"],
            "n_unmet": c["unmet"],
            "n_unknown": c["unknown"],
            "score": c["score"],
            "near_miss": pd.arrays.ArrowExtensionArray(near),
            "auto": c["auto"],
        }, copy=False)  # the arrays are ours: no copy, no consolidation into blocks


def _text(s: pd.Series) -> pa.Array:
    a = pa.array(s.array if isinstance(s.dtype, pd.ArrowDtype | pd.StringDtype) else s.astype("string[pyarrow]").array)
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def empty_result() -> pd.DataFrame:
    """A zero-row result with the result columns and dtypes."""
    return pd.DataFrame({
        "uscc": pd.arrays.ArrowExtensionArray(pa.array([], pa.string())),
        "policy_id": pd.Categorical([]),
        "item_id": pd.Categorical([]),
        "status": pd.Categorical([], categories=list(STATUSES)),
        "amount": pd.Series([], dtype="Int64"),
        "granted": np.array([], bool),
        "n_met": np.array([], np.int16),
        "n_unmet": np.array([], np.int16),
        "n_unknown": np.array([], np.int16),
        "score": np.array([], np.float64),
        "near_miss": pd.arrays.ArrowExtensionArray(pa.array([], pa.string())),
        "auto": np.array([], bool),
    })


def _plan(entries: list[CompiledItem], by_region: bool) -> list[tuple[str | None, list[list[CompiledItem]]]]:
    """Documents grouped by region (when subsetting), each as its list of in-force items."""
    plan: dict[str | None, dict[str, list[CompiledItem]]] = {}
    for e in entries:
        key = e.doc.region if by_region else None
        plan.setdefault(key, {}).setdefault(e.policy_id, []).append(e)
    return [(region, list(docs.values())) for region, docs in plan.items()]


def evaluate(
    compiled: CompiledRules,
    firms: pd.DataFrame,
    as_of: str | None = None,
    *,
    keep: tuple[str, ...] = ("eligible", "unknown", "ineligible"),
    near_misses: bool = True,
    near_miss_within: float = NEAR_MISS_WITHIN,
) -> pd.DataFrame:
    """Evaluate every firm of ``firms`` (profiles contract) against every item in force on ``as_of``.

    ``keep`` selects the statuses returned; ``"near_miss"`` in ``keep`` adds the ineligible rows that
    are near misses even when ``"ineligible"`` is not kept. ``near_miss`` (JSON text, see README) is
    filled on near-miss rows when ``near_misses`` is true. ``amount`` is the item's benefit for the
    firm (Int64 yuan, NA when not computable), ``granted`` is true for the item the firm actually gets
    (eligible, and best of its exclusive group), ``auto`` for 免申即享 (granted and ``apply_mode`` auto).
    ``score`` = n_met / (n_met + n_unmet + n_unknown) × 100; the document's region counts as a condition.
    """
    keep_set = _check_keep(keep)
    as_of = as_of or dt.date.today().isoformat()
    if "uscc" not in firms.columns:
        raise InputError("企业表缺少 uscc 列", field="uscc")
    entries = compiled.in_force(as_of)
    n = len(firms)
    if n == 0 or not entries:
        return empty_result()
    whole = _Chunk(compiled, Columns(firms, as_of))
    want_inel = "ineligible" in keep_set
    want_near = near_misses or "near_miss" in keep_set
    keep_codes = np.array([s in keep_set for s in STATUSES])
    pos = {e.index: k for k, e in enumerate(entries)}
    out = _Collector()
    for region, docs in _plan(entries, by_region=not want_inel):
        ch, rows = whole, None
        if region is not None:  # the first node of every item of these documents is the region test
            _, outside = whole.pred(docs[0][0].nodes[0][0])
            inside = np.flatnonzero(~outside)
            if not len(inside):
                continue
            if len(inside) < _SUBSET_BELOW * n:
                ch, rows = whole.subset(inside), inside
        for doc_entries in docs:
            results = [_evaluate_item(ch, e, stop_when_all_false=not (want_inel or want_near)) for e in doc_entries]
            _grant(results, ch.n)
            for r in results:
                _emit(ch, r, rows, keep_codes, keep_set, want_near, near_misses, near_miss_within, pos, out)
    return out.frame(firms["uscc"], entries)


def _emit(ch, r, rows, keep_codes, keep_set, want_near, near_misses, within, pos, out) -> None:  # noqa: ANN001
    """Collect the kept rows of one item (positions mapped back to the whole chunk)."""
    e = r.entry
    mask = np.zeros(ch.n, bool)
    if keep_codes[0]:
        mask |= r.t
    if keep_codes[1]:
        mask |= ~r.t & ~r.f
    if keep_codes[2]:
        mask |= r.f
    near = gaps = None
    if want_near and r.f.any():
        near, gaps = _near(ch, r, within)
        if "near_miss" in keep_set:
            mask |= near
    idx = np.flatnonzero(mask)
    if not len(idx):
        return
    met = np.zeros(len(idx), np.int16)
    unmet = np.zeros(len(idx), np.int16)
    for node in e.nodes:
        t, f = ch.node(node)
        met += t[idx]
        unmet += f[idx]
    t_i, f_i = r.t[idx], r.f[idx]
    status = np.where(t_i, 0, np.where(f_i, 2, 1)).astype(np.int8)
    amount, known = r.amounts_at(idx)
    granted = r.granted[idx]
    near_col = pa.nulls(len(idx), pa.string())
    if near is not None and near_misses:
        sel = near[idx]
        if sel.any():
            js = _near_json(r, gaps, idx[sel], met[sel], unmet[sel])
            near_col = pc.replace_with_mask(near_col, pa.array(sel), js)
    out.add(
        idx=idx if rows is None else rows[idx],
        which=np.full(len(idx), pos[e.index], np.int32),
        status=status,
        amount=np.where(known, amount, 0),
        known=known,
        granted=granted,
        met=met,
        unmet=unmet,
        unknown=(e.n_nodes - met - unmet).astype(np.int16),
        score=met * 100.0 / e.n_nodes if e.n_nodes else np.full(len(idx), 100.0),
        near=near_col,
        auto=granted & (e.item.apply_mode == "auto"),
    )
