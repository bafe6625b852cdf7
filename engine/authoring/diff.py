"""`claimscrub rules diff OLD NEW`: rules added, removed and changed between two rule sets.

OLD and NEW are rule files or directories, or `git:REV:path` (a path as it was at a git revision of the
repository in the current directory). Conditions are compared as canonical text printed from the AST
(`pretty.to_text`, predicates expanded), never as YAML text, so re-wrapping or re-quoting a condition is not a
change and a changed predicate shows in every rule that calls it.
"""

from __future__ import annotations

import difflib
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..api import check_files
from ..dsl import ast as A
from ..ruleset import Pack, Rule
from ..source import RuleSetError
from .pretty import Printer

FIELDS = ("title", "category", "severity", "scope", "message", "fix", "denial", "source", "effective", "tags")


class SourceError(Exception):
    pass


def materialize(spec: str, workdir: Path) -> Path:
    """A local path for `spec`; `git:REV:path` is exported from git into `workdir`."""
    if not spec.startswith("git:"):
        p = Path(spec)
        if not p.exists():
            raise SourceError(f"{spec} does not exist")
        return p
    try:
        _, rev, path = spec.split(":", 2)
    except ValueError:
        raise SourceError(f"{spec!r}: write git:REV:path, e.g. git:HEAD~1:rules") from None
    path = path.strip("/") or "."
    ls = subprocess.run(["git", "ls-tree", "-r", "--name-only", rev, "--", path], capture_output=True, text=True)
    if ls.returncode != 0:
        raise SourceError(f"{spec}: {ls.stderr.strip()}")
    files = [f for f in ls.stdout.splitlines() if f.endswith((".yaml", ".yml"))]
    if not files:
        raise SourceError(f"{spec}: no YAML files at {path} in {rev}")
    root = workdir / rev.replace("/", "_").replace("~", "_").replace("^", "_")
    for f in files:
        show = subprocess.run(["git", "show", f"{rev}:{f}"], capture_output=True)
        if show.returncode != 0:
            raise SourceError(f"{spec}: {show.stderr.decode().strip()}")
        target = root / f
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(show.stdout)
    return root / path


def load_packs(spec: str, workdir: Path) -> list[Pack]:
    packs, diags = check_files([materialize(spec, workdir)])
    errors = [d for d in diags if d.severity == "error"]
    if errors:
        raise RuleSetError(errors)
    return packs


def condition_lines(node: A.Node | None) -> list[str]:
    """Canonical condition text, one top-level `and`/`or` operand per line."""
    if node is None:
        return []
    printer = Printer(expand_predicates=True)
    while isinstance(node, A.PredicateCall) and node.body is not None:
        node = node.body
    if isinstance(node, A.BoolOp):
        parts = printer._flat(node)
        return [("" if i == 0 else f"{node.op} ") + printer._wrap(p, 2 if node.op == "or" else 3)
                for i, p in enumerate(parts)]
    return [printer.text(node)]


def _fields(rule: Rule) -> dict[str, Any]:
    raw = rule.raw
    return {"title": rule.title, "category": rule.category, "severity": rule.severity, "scope": rule.scope,
            "message": raw.get("message"), "fix": raw.get("fix"), "denial": raw.get("denial"), "source": rule.source,
            "effective": {k: str(v) for k, v in (raw.get("effective") or {}).items()} or None,
            "tags": list(rule.tags) or None}


def _lets(rule: Rule) -> list[str]:
    return [f"{name}: {' '.join(condition_lines(e.node))}" for name, e in rule.lets]


@dataclass
class RuleChange:
    id: str
    fields: dict[str, tuple[Any, Any]] = field(default_factory=dict)
    condition_diff: list[str] = field(default_factory=list)
    lets_diff: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "fields": {k: {"old": a, "new": b} for k, (a, b) in self.fields.items()},
                "condition_diff": self.condition_diff, "lets_diff": self.lets_diff}


@dataclass
class RuleSetDiff:
    added: list[Rule]
    removed: list[Rule]
    changed: list[RuleChange]
    packs: dict[str, tuple[str | None, str | None]]  # name -> (old version, new version) when different

    def as_dict(self) -> dict[str, Any]:
        def brief(r: Rule) -> dict[str, Any]:
            return {"id": r.id, "title": r.title, "category": r.category, "severity": r.severity,
                    "pack": r.pack.name, "condition": " ".join(condition_lines(r.when.node))}

        return {"added": [brief(r) for r in self.added], "removed": [brief(r) for r in self.removed],
                "changed": [c.as_dict() for c in self.changed],
                "packs": {k: {"old": a, "new": b} for k, (a, b) in self.packs.items()}}

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.packs)


def _udiff(old: list[str], new: list[str]) -> list[str]:
    return list(difflib.unified_diff(old, new, "old", "new", n=max(len(old), len(new)), lineterm=""))[2:]


def diff_packs(old: list[Pack], new: list[Pack]) -> RuleSetDiff:
    o = {r.id: r for p in old for r in p.rules}
    n = {r.id: r for p in new for r in p.rules}
    changed: list[RuleChange] = []
    for rid in [r for r in n if r in o]:
        a, b = o[rid], n[rid]
        ch = RuleChange(rid)
        fa, fb = _fields(a), _fields(b)
        ch.fields = {k: (fa[k], fb[k]) for k in FIELDS if fa[k] != fb[k]}
        ca, cb = condition_lines(a.when.node), condition_lines(b.when.node)
        if ca != cb:
            ch.condition_diff = _udiff(ca, cb)
        la, lb = _lets(a), _lets(b)
        if la != lb:
            ch.lets_diff = _udiff(la, lb)
        if ch.fields or ch.condition_diff or ch.lets_diff:
            changed.append(ch)
    ov = {p.name: p.version for p in old}
    nv = {p.name: p.version for p in new}
    packs = {k: (ov.get(k), nv.get(k)) for k in sorted(set(ov) | set(nv)) if ov.get(k) != nv.get(k)}
    return RuleSetDiff([r for rid, r in n.items() if rid not in o], [r for rid, r in o.items() if rid not in n],
                       changed, packs)


def diff_specs(old: str, new: str) -> RuleSetDiff:
    with tempfile.TemporaryDirectory(prefix="claimscrub-diff-") as tmp:
        return diff_packs(load_packs(old, Path(tmp) / "old"), load_packs(new, Path(tmp) / "new"))


def _show(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {v}" for k, v in value.items()) + "}"
    return str(value)


def render_text(d: RuleSetDiff) -> list[str]:
    out: list[str] = []
    for name, (a, b) in d.packs.items():
        out.append(f"pack {name}: {a or '(absent)'} -> {b or '(absent)'}")
    for r in d.added:
        out.append(f"+ added   {r.id} [{r.severity} {r.category}] {r.title}")
        out.append(f"            when: {' '.join(condition_lines(r.when.node))}")
    for r in d.removed:
        out.append(f"- removed {r.id} [{r.severity} {r.category}] {r.title}")
    for c in d.changed:
        out.append(f"~ changed {c.id}")
        for k, (a, b) in c.fields.items():
            out.append(f"            {k}: {_show(a)} -> {_show(b)}")
        if c.lets_diff:
            out.append("            let:")
            out.extend(f"              {line}" for line in c.lets_diff)
        if c.condition_diff:
            out.append("            when:")
            out.extend(f"              {line}" for line in c.condition_diff)
    out.append(f"{len(d.added)} added, {len(d.removed)} removed, {len(d.changed)} changed")
    return out
