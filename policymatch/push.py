"""Incremental push: every (firm, item) that is new or changed since it was last pushed, exactly once.

Why a diff against push state: the batch job keeps ``matches`` as the current truth; what a
firm has already been told is a separate fact. Comparing the two gives new and changed matches,
and matches that disappeared (withdrawn), without any per-run bookkeeping in the batch job.

Why the comparison is per firm, in two parts: ``matches`` is a view over each firm's own rows
(``match_rows``) and a pattern it shares with other firms (``match_firms.pattern_id``, see
``match_patterns``). The push state mirrors that split – ``pushes`` holds the own rows last
pushed, ``pushed_firms`` the pattern – so a firm whose link and own rows are unchanged is
skipped without expanding its ~90 rows; only the other firms are compared row by row. A push
with nothing new over a million firms is a few index scans, not a join of 90 million rows.

Exactly once, even if push is killed at any point:

1. ``BEGIN IMMEDIATE`` (the write lock: no batch can change ``matches`` meanwhile);
2. the diff is streamed to a temporary file next to ``out`` and fsynced;
3. in the same transaction the push state is updated and a ``push_log`` row
   (``state='committed'``, temp path, sha256) is added; COMMIT;
4. the temporary file is renamed over ``out`` (atomic) and the log row marked ``delivered``.

A crash before 3 leaves the state untouched (the temporary file is an orphan, deleted
next time, nothing was delivered); a crash after 3 is completed by the next push, which
first renames any committed-but-undelivered file. So each change reaches ``out`` once.

>>> PUSH_EVENTS["withdrawn"]
'撤回'
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import InputError, StoreError
from .store import Store, condition_wording, now_iso

__all__ = ["push", "PushSummary", "PUSH_EVENTS", "STATUS_LABELS", "PUSH_SUFFIXES", "crash_point", "read_push_file"]

#: event kinds of a push line and their Chinese names
PUSH_EVENTS: dict[str, str] = {"new": "新增", "changed": "变更", "withdrawn": "撤回"}
STATUS_LABELS: dict[str, str] = {"eligible": "符合条件", "unknown": "待核实", "ineligible": "不符合", "withdrawn": "已撤回"}

PUSH_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")

_KEY = ("uscc", "policy_id", "item_id")
_COMPARED = ("status", "amount", "granted")
#: firms to compare at all: only where the per-firm rows or the shared-pattern link differ from what was pushed.
#: The pushed state of a firm is its ``pushes`` rows plus the rows of its ``pushed_firms`` pattern, kept
#: in the same split as ``match_rows`` / ``match_firms`` at the time of the push, so an unchanged firm
#: is recognised by comparing links and its own rows, without expanding its pattern.
_SQL_CANDIDATES = """
SELECT f.uscc FROM match_firms f LEFT JOIN pushed_firms q ON q.uscc = f.uscc
WHERE f.pattern_id IS NOT q.pattern_id
UNION
SELECT q.uscc FROM pushed_firms q LEFT JOIN match_firms f ON f.uscc = q.uscc
WHERE f.pattern_id IS NOT q.pattern_id
UNION
SELECT m.uscc FROM match_rows m LEFT JOIN pushes p
  ON p.uscc = m.uscc AND p.policy_id = m.policy_id AND p.item_id = m.item_id
WHERE p.uscc IS NULL OR p.withdrawn = 1 OR p.status IS NOT m.status OR p.amount IS NOT m.amount
   OR p.granted IS NOT m.granted
UNION
SELECT p.uscc FROM pushes p LEFT JOIN match_rows m
  ON p.uscc = m.uscc AND p.policy_id = m.policy_id AND p.item_id = m.item_id
WHERE p.withdrawn = 0 AND m.uscc IS NULL
"""
_SQL_CURRENT = """
SELECT m.uscc, m.policy_id, m.item_id, m.status, m.amount, m.granted, m.score, m.near_miss, m.run_id
FROM matches m WHERE m.uscc IN ({marks})
"""
_SQL_PUSHED = """
SELECT p.uscc, p.policy_id, p.item_id, p.status, p.amount, p.granted FROM pushes p
WHERE p.withdrawn = 0 AND p.uscc IN ({marks})
UNION ALL
SELECT q.uscc, r.policy_id, r.item_id, r.status, r.amount, r.granted
FROM pushed_firms q JOIN pattern_rows r ON r.pattern_id = q.pattern_id WHERE q.uscc IN ({marks})
"""
_SQL_NAMES = "SELECT uscc, name, region FROM match_firms WHERE uscc IN ({marks})"
#: after a push the pushed state of each compared firm is its current state, in the same split
_SQL_APPLY = (
    "DELETE FROM pushes WHERE uscc IN ({marks})",
    "INSERT INTO pushes (uscc, policy_id, item_id, status, amount, granted, withdrawn, push_id, pushed_at) "
    "SELECT uscc, policy_id, item_id, status, amount, granted, 0, :push_id, :at FROM match_rows WHERE uscc IN ({marks})",
    "DELETE FROM pushed_firms WHERE uscc IN ({marks})",
    "INSERT INTO pushed_firms (uscc, pattern_id, push_id) "
    "SELECT uscc, pattern_id, :push_id FROM match_firms WHERE pattern_id IS NOT NULL AND uscc IN ({marks})",
)
#: firms compared per query (each query binds this many parameters, twice for ``_SQL_PUSHED``)
_BATCH = 400


def crash_point(name: str) -> None:
    """Test hook: SIGKILL this process when ``POLICYMATCH_CRASH_AT`` names this point (exactly-once tests)."""
    if os.environ.get("POLICYMATCH_CRASH_AT") == name:
        import signal

        os.kill(os.getpid(), signal.SIGKILL)


@dataclass
class PushSummary:
    """What one push did. ``written`` is False when there was nothing to push (no file touched)."""

    out: str
    written: bool
    push_id: int | None = None
    n_new: int = 0
    n_changed: int = 0
    n_withdrawn: int = 0
    recovered: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        return self.n_new + self.n_changed + self.n_withdrawn

    def to_text(self) -> str:
        """One Chinese line for the CLI."""
        lines = [f"已补交上次中断的推送文件：{p}" for p in self.recovered]
        if not self.written:
            lines.append("没有新的变化，未写出推送文件。")
        else:
            lines.append(
                f"推送 #{self.push_id}：新增 {self.n_new} 条，变更 {self.n_changed} 条，撤回 {self.n_withdrawn} 条 → {self.out}"
            )
        return "\n".join(lines)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _file_sha256(path: Path) -> str | None:
    if not path.is_file():
        return None
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_push_file(path: str | Path) -> list[dict[str, Any]]:
    """The records of a push file (``.jsonl`` or ``.jsonl.gz``), for tests and consumers in Python."""
    p = Path(path)
    opener = gzip.open if p.name.lower().endswith(".gz") else open
    with opener(p, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def _recover(store: Store) -> list[str]:
    """Deliver files of pushes that committed but were not renamed into place (crash after commit)."""
    done = []
    for row in list(store.db.query("SELECT * FROM push_log WHERE state = 'committed' ORDER BY push_id")):
        tmp, out = Path(row["tmp"]), Path(row["out"])
        if tmp.is_file():
            os.replace(tmp, out)
            _fsync_dir(out.parent)
            done.append(str(out))
            state = "delivered"
        elif _file_sha256(out) == row["sha256"]:
            state = "delivered"
        else:  # the committed file is gone: never re-emit it (that would be a duplicate); say so in the log
            state = "missing"
        store.db.execute("UPDATE push_log SET state = ? WHERE push_id = ?", [state, row["push_id"]])
    return done


def _reasons(event: str, status: str | None, item: dict[str, Any], near_miss: str | None, as_of: str) -> list[str]:
    """Chinese reasons for one push line, from the item's condition wording and the engine's near-miss note."""
    conds = condition_wording(item.get("conditions"))
    if event == "withdrawn":
        vt = item.get("valid_to")
        if vt and as_of > vt:
            return [f"政策已于 {vt} 到期，不再适用（评估日期 {as_of}）。"]
        if item.get("rules_hash") is None:
            return ["该事项已从规则中删除。"]
        return [f"按 {as_of} 的企业数据和现行规则，企业已不再符合该事项的条件。"]
    head = "满足全部条件：" if status == "eligible" else "部分条件尚缺数据，需核实："
    out = [head + "；".join(c for c in conds if c)] if conds else [head.rstrip("：")]
    if near_miss:
        try:
            nm = json.loads(near_miss)
        except ValueError:
            nm = near_miss
        texts = nm if isinstance(nm, list) else [nm]
        for t in texts:
            if isinstance(t, dict):
                t = t.get("text") or t.get("reason") or t.get("description") or json.dumps(t, ensure_ascii=False)
            if t:
                out.append(str(t))
    return out


def _batches(firms: list[str]) -> Iterator[tuple[list[str], str]]:
    for k in range(0, len(firms), _BATCH):
        part = firms[k : k + _BATCH]
        yield part, ", ".join("?" * len(part))


def _diff(store: Store, firms: list[str]) -> Iterator[tuple[str, dict[str, Any], dict[str, Any] | None, dict[str, Any]]]:
    """(event, current row or pushed row, previous pushed row, firm names) of every change, in key order."""
    for part, marks in _batches(firms):
        names = {r["uscc"]: r for r in store.db.query(_SQL_NAMES.format(marks=marks), part)}
        cur = {tuple(r[k] for k in _KEY): r for r in store.db.query(_SQL_CURRENT.format(marks=marks), part)}
        old = {tuple(r[k] for k in _KEY): r for r in store.db.query(_SQL_PUSHED.format(marks=marks), part + part)}
        for key in sorted(cur.keys() | old.keys()):
            now, before = cur.get(key), old.get(key)
            if now is None:
                yield "withdrawn", before, before, names.get(key[0], {})
            elif before is None:
                yield "new", now, None, names.get(key[0], {})
            elif any(now[c] != before[c] for c in _COMPARED):
                yield "changed", now, before, names.get(key[0], {})


def _lines(store: Store, as_of: str, run: dict[str, Any], firms: list[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, record) for every new/changed/withdrawn (firm, item) of ``firms``, in key order."""
    items = {(r["policy_id"], r["item_id"]): r for r in store.db.query("SELECT * FROM items")}
    current = {(r["policy_id"], r["item_id"]) for r in store.db.query(
        "SELECT policy_id, item_id FROM items WHERE rules_hash = ?", [run["rules_hash"]])}
    for event, r, prev, firm in _diff(store, firms):
        key = (r["policy_id"], r["item_id"])
        item = dict(items.get(key, {}))
        if key not in current:
            item["rules_hash"] = None
        status = r.get("status") if event != "withdrawn" else "withdrawn"
        rec: dict[str, Any] = {
            "event": event,
            "event_label": PUSH_EVENTS[event],
            "uscc": r["uscc"],
            "firm_name": firm.get("name"),
            "region": firm.get("region"),
            "policy_id": r["policy_id"],
            "item_id": r["item_id"],
            "policy_title": item.get("title"),
            "doc_number": item.get("doc_number"),
            "item_name": item.get("name"),
            "status": status,
            "status_label": STATUS_LABELS[status],
            "granted": bool(r.get("granted")) if event != "withdrawn" else False,
            "apply_mode": item.get("apply_mode"),
            "benefit": {
                "kind": item.get("benefit_kind"),
                "amount": r.get("amount") if event != "withdrawn" else None,
                "max_amount": item.get("benefit_max_amount"),
                "text": item.get("benefit_text"),
                "description": item.get("benefit_desc"),
            },
            "reasons": _reasons(event, status, item, r.get("near_miss") if event != "withdrawn" else None, as_of),
            "score": r.get("score") if event != "withdrawn" else None,
            "as_of": as_of,
            "run_id": run["run_id"],
            "rules_hash": run["rules_hash"],
        }
        if prev is not None:
            rec["previous"] = {"status": prev["status"], "amount": prev["amount"], "granted": bool(prev["granted"])}
        yield event, rec


def _apply(store: Store, firms: list[str], push_id: int, at: str) -> None:
    """Record what was pushed: each compared firm's pushed state becomes its current state."""
    for part, marks in _batches(firms):
        params = {f"f{k}": u for k, u in enumerate(part)}
        named = ", ".join(f":f{k}" for k in range(len(part)))
        for sql in _SQL_APPLY:
            store.db.execute(sql.format(marks=named), {**params, "push_id": push_id, "at": at})


def push(db: str | Path, out: str | Path) -> PushSummary:
    """Write every new/changed/withdrawn (firm, item) since the last push to ``out`` (JSON Lines), exactly once.

    Nothing new → no file is written or touched (``PushSummary.written`` is False). Refuses
    while the latest batch run is unfinished (its ``matches`` would be half old, half new).
    """
    out = Path(out)
    if not out.name.lower().endswith(PUSH_SUFFIXES):
        raise InputError("推送文件应为 .jsonl（或压缩的 .jsonl.gz）", file=str(out))
    if not out.parent.is_dir():
        raise InputError("输出目录不存在", file=str(out.parent))
    if out.exists():
        raise InputError("推送文件已存在，不覆盖（每次推送请用新文件名，或先处理并移走旧文件）", file=str(out))
    store = Store(db, must_exist=True)
    try:
        return _push(store, out)
    finally:
        store.close()


def _push(store: Store, out: Path) -> PushSummary:
    run = store.latest_run()
    if run is None:
        raise StoreError("数据库中还没有批量匹配结果（请先运行 policymatch batch）", file=str(store.path))
    # the temporary file is announced before it exists, so a push killed before its commit
    # leaves a trace the next push can clean up (that file was never delivered)
    tmp = out.parent / f".{out.name}.{uuid.uuid4().hex[:12]}.tmp"
    store.db["push_pending"].insert({"tmp": str(tmp)}, pk="tmp")
    store.db.execute("BEGIN IMMEDIATE")
    try:
        recovered = _recover(store)
        for row in list(store.db.query("SELECT tmp FROM push_pending WHERE tmp <> ?", [str(tmp)])):
            if not store.db.execute("SELECT 1 FROM push_log WHERE tmp = ?", [row["tmp"]]).fetchone():
                Path(row["tmp"]).unlink(missing_ok=True)
            store.db.execute("DELETE FROM push_pending WHERE tmp = ?", [row["tmp"]])
        if run["status"] != "done":
            store.db.execute("COMMIT")
            raise StoreError(
                f"最近一次批量运行（#{run['run_id']}）尚未完成，请先重新运行 policymatch batch 使其完成再推送",
                file=str(store.path),
            )
        push_id = int(store.db.execute("SELECT COALESCE(MAX(push_id), 0) + 1 FROM push_log").fetchone()[0])
        counts = {"new": 0, "changed": 0, "withdrawn": 0}
        with tmp.open("wb") as raw:
            # .gz: a large first push is mostly repeated item wording, ~20× smaller compressed
            # (level 6: level 9 spent most of a large push compressing, for a few per cent of size)
            gz = out.name.lower().endswith(".gz")
            f = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, compresslevel=6) if gz else raw
            firms = sorted(r[0] for r in store.db.execute(_SQL_CANDIDATES))
            block: list[str] = []
            for event, rec in _lines(store, run["as_of"], run, firms):
                rec["push_id"] = push_id
                block.append(json.dumps(rec, ensure_ascii=False))
                counts[event] += 1
                if len(block) >= 2000:
                    f.write(("\n".join(block) + "\n").encode("utf-8"))
                    block.clear()
            if block:
                f.write(("\n".join(block) + "\n").encode("utf-8"))
            if f is not raw:
                f.close()
            raw.flush()
            os.fsync(raw.fileno())
        if out.exists():  # a recovered earlier push was just delivered here
            tmp.unlink()
            store.db.execute("DELETE FROM push_pending WHERE tmp = ?", [str(tmp)])
            store.db.execute("COMMIT")
            return PushSummary(out=str(out), written=False, recovered=recovered)
        if not sum(counts.values()):
            tmp.unlink()
            store.db.execute("DELETE FROM push_pending WHERE tmp = ?", [str(tmp)])
            store.db.execute("COMMIT")
            return PushSummary(out=str(out), written=False, recovered=recovered)
        crash_point("push:before_commit")
        at = now_iso()
        _apply(store, firms, push_id, at)
        store.db["push_log"].insert(
            {
                "push_id": push_id,
                "created": at,
                "out": str(out),
                "tmp": str(tmp),
                "sha256": _file_sha256(tmp),
                "n_rows": sum(counts.values()),
                "n_new": counts["new"],
                "n_changed": counts["changed"],
                "n_withdrawn": counts["withdrawn"],
                "run_id": run["run_id"],
                "state": "committed",
            }
        )
        store.db.execute("DELETE FROM push_pending WHERE tmp = ?", [str(tmp)])
        store.db.execute("COMMIT")
    except BaseException:
        if store.db.conn.in_transaction:
            store.db.execute("ROLLBACK")
        raise
    crash_point("push:after_commit")
    os.replace(tmp, out)
    _fsync_dir(out.parent)
    crash_point("push:after_rename")
    store.db.execute("UPDATE push_log SET state = 'delivered' WHERE push_id = ?", [push_id])
    return PushSummary(
        out=str(out),
        written=True,
        push_id=push_id,
        n_new=counts["new"],
        n_changed=counts["changed"],
        n_withdrawn=counts["withdrawn"],
        recovered=recovered,
    )
