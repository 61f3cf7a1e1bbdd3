"""Evaluate a chunk of firms against compiled rules as columns: statuses, counts, amounts, near misses.

Why columns: a registry of millions of firms is evaluated predicate by predicate over whole arrays
(two boolean masks per predicate, Kleene AND/OR across an item's nodes), never firm by firm.
Shared predicates are computed once per chunk, cheap selective ones first; when ineligible rows are
not wanted, an item stops as soon as every firm is decided ineligible.

Output (one row per kept firm × in-force item, grouped by item): ``uscc, policy_id, item_id,
status, amount, granted, n_met, n_unmet, n_unknown, score, near_miss`` (+ ``auto``: 免申即享 applies).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import InputError
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


class _Chunk:
    """Per-chunk state: converted columns and the predicate cache."""

    def __init__(self, compiled: CompiledRules, df: pd.DataFrame, as_of: str) -> None:
        self.compiled = compiled
        self.cols = Columns(df, as_of)
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


class _ItemResult:
    __slots__ = ("entry", "status", "met", "unmet", "amount", "known", "granted", "near")

    def __init__(self, entry: CompiledItem, status, met, unmet, amount, known) -> None:  # noqa: ANN001
        self.entry, self.status, self.met, self.unmet = entry, status, met, unmet
        self.amount, self.known = amount, known
        self.granted = None
        self.near = None


def _evaluate_item(ch: _Chunk, e: CompiledItem, stop_when_all_false: bool) -> _ItemResult:
    n = ch.cols.n
    t_all = np.ones(n, bool)
    f_any = np.zeros(n, bool)
    met = np.zeros(n, np.int16)
    unmet = np.zeros(n, np.int16)
    for k in e.eval_order:
        t, f = ch.node(e.nodes[k])
        t_all &= t
        f_any |= f
        met += t
        unmet += f
        if stop_when_all_false and f_any.all():
            break
    status = np.where(t_all, 0, np.where(f_any, 2, 1)).astype(np.int8)
    b = e.item.benefit
    base = rate_base_field(b) if b.amount is None else None
    if base is not None:
        vals, known = ch.cols.integers(base)
        amount, known = amounts_for(b, vals, known)
    else:
        const = b.amount if b.amount is not None else (b.cap if b.cap is not None else b.max_amount)
        amount, known = const, const is not None
    return _ItemResult(e, status, met, unmet, amount, known)


def _full(r: _ItemResult, n: int) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(r.amount, np.ndarray):
        return r.amount, r.known
    return np.full(n, -1 if r.amount is None else r.amount, np.int64), np.full(n, bool(r.known))


def _grant(results: list[_ItemResult], n: int) -> None:
    """granted = eligible, and within an exclusive group only the best eligible item (benefit.group_key)."""
    groups: dict[tuple[str, str], list[_ItemResult]] = {}
    for r in results:
        if r.entry.group is None:
            r.granted = r.status == 0
        else:
            groups.setdefault(r.entry.group, []).append(r)
    for members in groups.values():
        best = np.full(n, -1, np.int32)
        best_a = np.full(n, -2, np.int64)
        best_m = np.full(n, -2, np.int64)
        for j, r in enumerate(members):  # document order: on a full tie the earlier item stays
            a, known = _full(r, n)
            a = np.where(known, a, -1)
            m = -1 if r.entry.item.benefit.max_amount is None else r.entry.item.benefit.max_amount
            better = (r.status == 0) & ((a > best_a) | ((a == best_a) & (m > best_m)))
            best = np.where(better, j, best)
            best_a = np.where(better, a, best_a)
            best_m = np.where(better, m, best_m)
        for j, r in enumerate(members):
            r.granted = best == j


def _near(ch: _Chunk, r: _ItemResult, within: float) -> np.ndarray:
    """Rows where the item fails only on closable numeric conditions within ``within``."""
    e = r.entry
    blocked = np.zeros(ch.cols.n, bool)
    gaps = []
    for node in e.nodes:
        _, f = ch.node(node)
        p = ch.compiled.predicates[node[0]]
        if len(node) != 1 or not closable(p):
            blocked |= f
            continue
        x = ch.cols.number(p.field)
        g, rel = gap_arrays(p, x)
        ok = f & (g >= 0) & (rel <= within)
        if p.op == "crosses":  # already over the threshold last year: cannot "first reach" it any more
            prev = ch.cols.number(f"{p.field}_prev")
            with np.errstate(invalid="ignore"):
                ok &= ~(prev >= p.value)
        blocked |= f & ~ok
        gaps.append((p, f, x, g, rel))
    near = (r.status == 2) & ~blocked
    r.near = (near, gaps)
    return near


def _fmt_num(x: np.ndarray, integral: bool) -> pa.Array:
    if integral:
        return pa.array(np.round(x).astype(np.int64)).cast(pa.string())
    return pa.array(np.round(x, 6)).cast(pa.string())


def _near_json(r: _ItemResult, idx: np.ndarray, n: int) -> pa.Array:
    """JSON text per kept near-miss row: {"then", "amount", "gaps": [...]} with gaps by relative shortfall."""
    from ..fields import FIELDS

    near, gaps = r.near
    m = len(idx)
    pieces, rels = [], []
    for p, f, x, g, rel in gaps:
        fail = f[idx]
        integral = FIELDS[p.field].kind in ("money", "int")
        thr = p.value if p.op != "between" else None
        thr_arr = (
            pa.array(np.full(m, str(thr) if thr is not None else ""), pa.string())
            if p.op != "between"
            else _fmt_num(np.where(x[idx] < (p.value[0] if p.value[0] is not None else -np.inf), p.value[0] or 0, p.value[1] or 0), integral)
        )
        piece = pc.binary_join_element_wise(
            f'{{"field":"{p.field}","op":"{p.op}","threshold":',
            thr_arr,
            ',"value":',
            _fmt_num(x[idx], integral),
            ',"gap":',
            _fmt_num(g[idx], integral),
            ',"relative":',
            _fmt_num(rel[idx], False),
            "}",
            "",
        )
        pieces.append(pc.if_else(pa.array(fail), piece, pa.scalar(None, pa.string())))
        rels.append(np.where(fail, rel[idx], np.inf))
    if pieces:
        order = np.argsort(np.stack(rels, axis=1), axis=1, kind="stable")
        ranked = [pc.choose(pa.array(order[:, k]), *pieces) for k in range(len(pieces))]
        joined = pc.binary_join_element_wise(*ranked, ",", null_handling="skip")
    else:
        joined = pa.array(np.full(m, ""), pa.string())
    then = np.where(r.met[idx] + r.unmet[idx] == r.entry.n_nodes, "eligible", "unknown")
    a, known = _full(r, n)
    amount = pc.if_else(pa.array(known[idx]), pa.array(a[idx]).cast(pa.string()), "null")
    return pc.binary_join_element_wise('{"then":"', pa.array(then), '","amount":', amount, ',"gaps":[', joined, "]}", "")


def _check_keep(keep: Iterable[str]) -> frozenset[str]:
    keep = frozenset(keep)
    bad = keep - set(_KEEP_CHOICES)
    if bad:
        raise InputError(f"keep 只能取 {', '.join(_KEEP_CHOICES)}；实际为 {sorted(bad)}")
    return keep


def empty_result() -> pd.DataFrame:
    """A zero-row result with the result columns and dtypes."""
    return _frame(np.array([], np.int64), pd.Series([], dtype="string[pyarrow]"), [], {})


def _frame(idx_all: np.ndarray, uscc: pd.Series, entries: list[CompiledItem], extra: dict) -> pd.DataFrame:
    policy_ids = sorted({e.policy_id for e in entries})
    item_ids = sorted({e.item_id for e in entries})
    pcode = {p: k for k, p in enumerate(policy_ids)}
    icode = {p: k for k, p in enumerate(item_ids)}
    which = extra.get("which", np.array([], np.int32))
    e_p = np.array([pcode[e.policy_id] for e in entries], np.int32)
    e_i = np.array([icode[e.item_id] for e in entries], np.int32)
    amount = extra.get("amount", np.array([], np.int64))
    known = extra.get("known", np.array([], bool))
    near = extra.get("near")
    out = pd.DataFrame(
        {
            "uscc": uscc.take(idx_all).reset_index(drop=True).astype("string[pyarrow]")
            if len(idx_all)
            else pd.Series([], dtype="string[pyarrow]"),
            "policy_id": pd.Categorical.from_codes(e_p[which] if len(which) else [], categories=policy_ids),
            "item_id": pd.Categorical.from_codes(e_i[which] if len(which) else [], categories=item_ids),
            "status": pd.Categorical.from_codes(extra.get("status", np.array([], np.int8)), categories=list(STATUSES)),
            "amount": pd.arrays.IntegerArray(amount, ~known),
            "granted": extra.get("granted", np.array([], bool)),
            "n_met": extra.get("met", np.array([], np.int16)),
            "n_unmet": extra.get("unmet", np.array([], np.int16)),
            "n_unknown": extra.get("unknown", np.array([], np.int16)),
            "score": extra.get("score", np.array([], np.float64)),
            "near_miss": pd.Series(near if near is not None else pa.array([], pa.string()), dtype="string[pyarrow]")
            if near is not None and len(near)
            else pd.Series(pd.NA, index=range(len(idx_all)), dtype="string[pyarrow]"),
            "auto": extra.get("auto", np.array([], bool)),
        }
    )
    return out


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
    are near misses even when ``"ineligible"`` is not kept. ``near_miss`` (JSON text) is filled on
    near-miss rows when ``near_misses`` is true. ``amount`` is the item's benefit for the firm
    (Int64 yuan, NA when not computable), ``granted`` is true for the item the firm actually gets
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
    ch = _Chunk(compiled, firms, as_of)
    want_inel = "ineligible" in keep_set
    want_near = near_misses or "near_miss" in keep_set
    keep_codes = np.array([s in keep_set for s in STATUSES])
    collected: dict[str, list] = {k: [] for k in ("idx", "which", "status", "amount", "known", "granted",
                                                  "met", "unmet", "unknown", "score", "near", "auto")}  # fmt: skip
    pos = {e.index: k for k, e in enumerate(entries)}
    by_doc: dict[str, list[CompiledItem]] = {}
    for e in entries:
        by_doc.setdefault(e.policy_id, []).append(e)
    for doc_entries in by_doc.values():
        results = [_evaluate_item(ch, e, stop_when_all_false=not (want_inel or want_near)) for e in doc_entries]
        _grant(results, n)
        for r in results:
            e = r.entry
            mask = keep_codes[r.status]
            near = _near(ch, r, near_miss_within) if want_near and (r.status == 2).any() else None
            if near is not None and "near_miss" in keep_set:
                mask = mask | near
            idx = np.flatnonzero(mask)
            if not len(idx):
                continue
            a, known = _full(r, n)
            met, unmet = r.met[idx], r.unmet[idx]
            collected["idx"].append(idx)
            collected["which"].append(np.full(len(idx), pos[e.index], np.int32))
            collected["status"].append(r.status[idx])
            collected["amount"].append(np.where(known[idx], a[idx], 0))
            collected["known"].append(known[idx])
            granted = r.granted[idx]
            collected["granted"].append(granted)
            collected["met"].append(met)
            collected["unmet"].append(unmet)
            collected["unknown"].append((e.n_nodes - met - unmet).astype(np.int16))
            collected["score"].append(met * 100.0 / e.n_nodes if e.n_nodes else np.full(len(idx), 100.0))
            collected["auto"].append(granted & (e.item.apply_mode == "auto"))
            if near is not None and near_misses and near[idx].any():
                sel = near[idx]
                js = _near_json(r, idx[sel], n)
                col = pa.array(np.full(len(idx), None, object), pa.string())
                col = pc.replace_with_mask(col, pa.array(sel), js)
                collected["near"].append(col)
            else:
                collected["near"].append(pa.nulls(len(idx), pa.string()))
    if not collected["idx"]:
        return empty_result()
    cat = {k: np.concatenate(v) for k, v in collected.items() if k != "near"}
    near_all = pa.concat_arrays(collected["near"])
    cat["near"] = near_all
    return _frame(cat["idx"], firms["uscc"], entries, cat)

