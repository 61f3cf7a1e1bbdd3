"""Incremental push: every (firm, item) that is new or changed since it was last pushed, exactly once.

Why a diff against push state (table ``pushes``): the batch job keeps ``matches`` as the
current truth; what a firm has already been told is a separate fact. Comparing the two
gives new and changed matches, and matches that disappeared (withdrawn), without any
per-run bookkeeping in the batch job.

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
from .store import Store, now_iso

__all__ = ["push", "PushSummary", "PUSH_EVENTS", "STATUS_LABELS", "PUSH_SUFFIXES", "crash_point", "read_push_file"]

#: event kinds of a push line and their Chinese names
PUSH_EVENTS: dict[str, str] = {"new": "新增", "changed": "变更", "withdrawn": "撤回"}
STATUS_LABELS: dict[str, str] = {"eligible": "符合条件", "unknown": "待核实", "ineligible": "不符合", "withdrawn": "已撤回"}

PUSH_SUFFIXES = (".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")

_KEY_JOIN = "p.uscc = m.uscc AND p.policy_id = m.policy_id AND p.item_id = m.item_id"
_CHANGED = (
    "p.uscc IS NULL OR p.withdrawn = 1 OR p.status IS NOT m.status "
    "OR p.amount IS NOT m.amount OR p.granted IS NOT m.granted"
)
_SQL_NEW_OR_CHANGED = f"""
SELECT m.uscc, m.policy_id, m.item_id, m.status, m.amount, m.granted, m.score, m.near_miss,
       m.run_id,
       CASE WHEN p.uscc IS NULL OR p.withdrawn = 1 THEN 'new' ELSE 'changed' END AS event,
       p.status AS prev_status, p.amount AS prev_amount, p.granted AS prev_granted,
       f.name AS firm_name, f.region AS region
FROM matches m LEFT JOIN pushes p ON {_KEY_JOIN} LEFT JOIN match_firms f ON f.uscc = m.uscc
WHERE {_CHANGED}
ORDER BY m.uscc, m.policy_id, m.item_id
"""
_SQL_WITHDRAWN = f"""
SELECT p.uscc, p.policy_id, p.item_id, p.status AS prev_status, p.amount AS prev_amount,
       p.granted AS prev_granted, 'withdrawn' AS event, f.name AS firm_name, f.region AS region
FROM pushes p LEFT JOIN matches m ON {_KEY_JOIN} LEFT JOIN match_firms f ON f.uscc = p.uscc
WHERE m.uscc IS NULL AND p.withdrawn = 0
ORDER BY p.uscc, p.policy_id, p.item_id
"""
_SQL_APPLY_CHANGED = f"""
INSERT INTO pushes (uscc, policy_id, item_id, status, amount, granted, withdrawn, push_id, pushed_at)
SELECT m.uscc, m.policy_id, m.item_id, m.status, m.amount, m.granted, 0, ?, ?
FROM matches m LEFT JOIN pushes p ON {_KEY_JOIN}
WHERE {_CHANGED}
ON CONFLICT(uscc, policy_id, item_id) DO UPDATE SET status = excluded.status, amount = excluded.amount,
  granted = excluded.granted, withdrawn = 0, push_id = excluded.push_id, pushed_at = excluded.pushed_at
"""
_SQL_APPLY_WITHDRAWN = f"""
UPDATE pushes SET withdrawn = 1, push_id = ?, pushed_at = ?
WHERE withdrawn = 0 AND NOT EXISTS (SELECT 1 FROM matches m WHERE {_KEY_JOIN.replace('p.', 'pushes.')})
"""


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
    conds = json.loads(item.get("conditions") or "[]")
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


def _lines(store: Store, as_of: str, run: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """(event, record) for every new/changed/withdrawn (firm, item), in key order."""
    items = {(r["policy_id"], r["item_id"]): r for r in store.db.query("SELECT * FROM items")}
    current = {(r["policy_id"], r["item_id"]) for r in store.db.query(
        "SELECT policy_id, item_id FROM items WHERE rules_hash = ?", [run["rules_hash"]])}
    for sql in (_SQL_NEW_OR_CHANGED, _SQL_WITHDRAWN):
        for r in store.db.query(sql):
            key = (r["policy_id"], r["item_id"])
            item = dict(items.get(key, {}))
            if key not in current:
                item["rules_hash"] = None
            event = r["event"]
            status = r.get("status") if event != "withdrawn" else "withdrawn"
            rec: dict[str, Any] = {
                "event": event,
                "event_label": PUSH_EVENTS[event],
                "uscc": r["uscc"],
                "firm_name": r.get("firm_name"),
                "region": r.get("region"),
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
                "reasons": _reasons(event, status, item, r.get("near_miss"), as_of),
                "score": r.get("score"),
                "as_of": as_of,
                "run_id": run["run_id"],
                "rules_hash": run["rules_hash"],
            }
            if event != "new":
                rec["previous"] = {
                    "status": r["prev_status"],
                    "amount": r["prev_amount"],
                    "granted": bool(r["prev_granted"]),
                }
            yield event, rec


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
            f = gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) if out.name.lower().endswith(".gz") else raw
            for event, rec in _lines(store, run["as_of"], run):
                rec["push_id"] = push_id
                f.write((json.dumps(rec, ensure_ascii=False) + "\n").encode("utf-8"))
                counts[event] += 1
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
        store.db.execute(_SQL_APPLY_CHANGED, [push_id, at])
        store.db.execute(_SQL_APPLY_WITHDRAWN, [push_id, at])
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
