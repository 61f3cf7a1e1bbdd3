"""Read and write rule files (JSON or YAML, one document per file) with stable key order.

Why here: every way in (CLI, batch, library, search) loads rules the same way, with the
same safety (a safe YAML loader only, a size bound) and the same error messages naming
the file. ``load_rules`` on a directory reports the problems of *all* files at once.

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> _ = (d / "a.json").write_text('{"title": "t", "items": []}', encoding="utf-8")
>>> [doc.id for doc in load_rules(d)]
['a']
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError, RuleError
from .schema import document_from_dict, validate_dict
from .types import Document

__all__ = [
    "RULE_SUFFIXES",
    "MAX_RULE_FILE_BYTES",
    "read_rule_dict",
    "load_rule_file",
    "load_rules",
    "check_rule_paths",
    "dump_document",
    "write_document",
    "rule_files",
]

RULE_SUFFIXES = (".json", ".yaml", ".yml")
#: libyaml's safe loader when present (7x faster on the bundled rules), else the pure-Python one; both safe
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
#: a rule file is a reviewed document, never this large; refuse rather than exhaust memory
MAX_RULE_FILE_BYTES = 20 * 1024 * 1024


def rule_files(paths: Iterable[str | Path]) -> list[Path]:
    """Expand files and directories into the sorted list of rule files (``*.json``/``*.yaml``)."""
    out: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            out.extend(
                sorted(
                    f
                    for f in p.iterdir()
                    if f.is_file() and f.suffix.lower() in RULE_SUFFIXES and not f.name.endswith(".notes.md")
                )
            )
        elif p.is_file():
            out.append(p)
        else:
            raise InputError("文件或目录不存在", file=str(p))
    return out


def read_rule_dict(path: str | Path) -> Any:
    """Parse a rule file into plain data with safe loaders; bad syntax names the file and line."""
    p = Path(path)
    try:
        size = p.stat().st_size
    except OSError as e:
        raise InputError(f"无法读取：{e.strerror}", file=str(p)) from None
    if size > MAX_RULE_FILE_BYTES:
        raise InputError(f"文件过大（{size} 字节，上限 {MAX_RULE_FILE_BYTES}）", file=str(p))
    raw = p.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InputError("规则文件应为 UTF-8 编码", file=str(p)) from None
    if p.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as e:
            raise RuleError(f"JSON 语法错误：{e.msg}", file=str(p), line=e.lineno) from None
    try:
        return yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RuleError(f"YAML 语法错误：{getattr(e, 'problem', e)}", file=str(p), line=line) from None


def load_rule_file(path: str | Path) -> Document:
    """One rule file → Document; its id defaults to the file stem (``rules/021.yaml`` → ``021``)."""
    p = Path(path)
    return document_from_dict(read_rule_dict(p), p.stem, source=str(p))


def load_rules(*paths: str | Path) -> list[Document]:
    """Load every rule file under the given files/directories; one RuleError lists all problems.

    Document ids must be unique across the set, since (policy_id, item_id) names an item everywhere.

    >>> from policymatch.bundled import bundled_rules_dir
    >>> docs = load_rules(bundled_rules_dir())
    >>> len(docs), docs[0].id
    (35, '001')
    """
    docs: list[Document] = []
    problems: list[str] = []
    for f in rule_files(paths):
        try:
            docs.append(load_rule_file(f))
        except RuleError as e:
            problems.extend(f"{f} {x}" for x in e.problems) if e.problems else problems.append(str(e))
    seen: dict[str, str] = {}
    for d in docs:
        if d.id in seen:
            problems.append(f"{d.source} id: 应为唯一的文档 id; 实际为 {d.id!r}（与 {seen[d.id]} 重复）")
        seen[d.id] = d.source or ""
    if problems:
        raise RuleError(
            f"规则有 {len(problems)} 处问题：" + "；".join(problems[:3]) + ("……" if len(problems) > 3 else ""),
            problems=problems,
        )
    return docs


def check_rule_paths(*paths: str | Path) -> list[str]:
    """Every problem in the given rule files as ``file path: expected; found`` lines.

    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "x.yaml"
    >>> _ = f.write_text("items: [{id: '1', conditions: [{field: revenue, op: ge, value: 1}]}]", encoding="utf-8")
    >>> check_rule_paths(f)[0].split(" ", 1)[1][:29]
    'items[0].conditions[0].op: 应为'
    """
    out: list[str] = []
    for f in rule_files(paths):
        try:
            data = read_rule_dict(f)
        except (RuleError, InputError) as e:
            out.append(str(e))
            continue
        out.extend(f"{f} {x}" for x in validate_dict(data))
    return out


_TOP_ORDER = ["id", "title", "issuer", "doc_number", "valid_from", "valid_to", "region", "items"]


def _ordered(d: dict[str, Any]) -> dict[str, Any]:
    keys = [k for k in _TOP_ORDER if k in d] + [k for k in d if k not in _TOP_ORDER]
    return {k: d[k] for k in keys}


def dump_document(doc: Document | dict[str, Any], fmt: str = "json") -> str:
    """Serialise a document as canonical JSON or review YAML (stable key order, Chinese unescaped)."""
    d = doc.to_dict() if isinstance(doc, Document) else doc
    d = _ordered(d)
    if fmt == "json":
        return json.dumps(d, ensure_ascii=False, indent=1) + "\n"
    if fmt in ("yaml", "yml"):
        return yaml.safe_dump(d, allow_unicode=True, sort_keys=False, width=120)
    raise InputError(f"未知格式 {fmt!r}，应为 json 或 yaml")


def write_document(doc: Document | dict[str, Any], path: str | Path, fmt: str | None = None) -> Path:
    """Write a document to ``path``; the format follows the suffix unless given."""
    p = Path(path)
    fmt = fmt or ("yaml" if p.suffix.lower() in (".yaml", ".yml") else "json")
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(dump_document(doc, fmt), encoding="utf-8")
    return p
