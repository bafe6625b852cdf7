"""`claimscrub rules lint`: checks beyond `rules check` for things that are legal but almost certainly wrong.

| id   | severity | what |
|------|----------|------|
| L001 | error    | rule without a source (blank, or a placeholder such as TODO/TBD) |
| L002 | warning  | rule without a firing example (`- fires:`) |
| L003 | warning  | rule without a passing example (`- passes:`) |
| L004 | error    | two rules of the same scope with the same normalized condition and overlapping dates |
| L005 | warning  | near-duplicate: every conjunct of one rule's condition is in another's (the narrower rule is subsumed) |
| L010 | error    | condition (or part of an `and`) can never be true |
| L011 | error    | condition (or part of an `or`) is always true |
| L012 | warning  | constant sub-condition (`... and true`, a comparison of two literals) |
| L020 | warning  | named set never used |
| L021 | warning  | predicate never used |
| L022 | warning  | parameter never used |
| L030 | warning  | deprecated construct (DEPRECATED_FIELDS: `line.service_date_from` -> `line.date`, ...) |

Conditions are compared as normalized ASTs (`pretty.normalize`): predicates expanded, named sets inlined,
operands of and/or and set items sorted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..dsl import ast as A
from ..ruleset import Expr, Pack, Rule
from ..source import Diagnostic, make_diag
from .pretty import normalize, set_items_of, to_text

PLACEHOLDER_SOURCE = re.compile(r"^\s*(todo|tbd|fixme|xxx|n/?a|none|\?+|-+)?\s*$", re.IGNORECASE)

# (record, field) -> (preferred text, why); a use compared against its `_to` sibling is the range check, not flagged
DEPRECATED_FIELDS: dict[tuple[str, str], tuple[str, str]] = {
    ("line", "service_date_from"): ("line.date", "line.date is the line's date of service with the claim's "
                                    "statement date filled in; service_date_from is the raw 837 field"),
}

NON_NEGATIVE_FUNCS = {"len", "count"}
_MIN, _MAX = date.min, date.max


@dataclass
class LintResult:
    diagnostics: list[Diagnostic]

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity == "warning" for d in self.diagnostics)


def _diag(code: str, severity: str, message: str, expr: Expr | None, node: A.Node | None, hint: str | None,
          fallback: Any = None) -> Diagnostic:
    if node is not None and expr is not None:
        ex = getattr(node, "src", expr)
        pos = ex.position(node.start, node.end)
        src = ex.where.source if ex.where is not None else None
    else:
        pos, src = fallback
    return make_diag(code, message, src, pos, hint, severity)


def _rule_diag(rule: Rule, code: str, severity: str, message: str, hint: str | None,
               key: tuple[Any, ...] = ("id",)) -> Diagnostic:
    doc = rule.pack.doc
    idx = next((i for i, r in enumerate(doc.data.get("rules") or []) if r is rule.raw), 0)
    path = ("rules", idx, *key)
    return doc.diag(code, message, path, hint, key=len(key) == 1 and key[0] != "id", severity=severity)


# ---- static truth ------------------------------------------------------------------------------------------------

def _const(node: A.Node) -> tuple[bool, Any]:
    """(known, value) for literal-only expressions."""
    if isinstance(node, A.Literal):
        return True, node.value
    if isinstance(node, A.Neg):
        k, v = _const(node.operand)
        return (True, -v) if k and hasattr(v, "__neg__") and not isinstance(v, bool) else (False, None)
    return False, None


_CMP = {"==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
        ">": lambda a, b: a > b, ">=": lambda a, b: a >= b}


def truth(node: A.Node) -> bool | None:
    """True / False when the condition's value is decidable without a claim, else None."""
    if isinstance(node, A.PredicateCall):
        return truth(node.body) if node.body is not None else None
    if isinstance(node, A.Literal) and node.kind == "bool":
        return bool(node.value)
    if isinstance(node, A.Not):
        t = truth(node.operand)
        return None if t is None else not t
    if isinstance(node, A.BoolOp):
        vals = [truth(v) for v in node.values]
        if node.op == "and":
            if False in vals or _contradiction(node):
                return False
            return True if all(v is True for v in vals) else None
        if True in vals or _tautology(node):
            return True
        return False if all(v is False for v in vals) else None
    if isinstance(node, A.Compare):
        if node.op in ("in", "not in") and isinstance(node.right, A.SetLit) and not node.right.items:
            return node.op == "not in"
        kl, vl = _const(node.left)
        kr, vr = _const(node.right)
        if kl and kr and node.op in _CMP and vl is not None and vr is not None:
            try:
                return bool(_CMP[node.op](vl, vr))
            except TypeError:
                return None
        if _non_negative(node.left) and kr and isinstance(vr, int | float) and not isinstance(vr, bool):
            if (node.op == "<" and vr <= 0) or (node.op == "<=" and vr < 0) or (node.op == "==" and vr < 0):
                return False
            if (node.op == ">=" and vr <= 0) or (node.op == ">" and vr < 0) or (node.op == "!=" and vr < 0):
                return True
        return None
    if isinstance(node, A.Between):
        kl, lo = _const(node.low)
        kh, hi = _const(node.high)
        if kl and kh and lo is not None and hi is not None:
            try:
                if lo > hi:
                    return False
            except TypeError:
                return None
        return None
    if isinstance(node, A.Has) and node.mode in ("any", "none") and isinstance(node.value, A.SetLit) \
            and not node.value.items:
        return node.mode == "none"
    return None


def _non_negative(node: A.Node) -> bool:
    return (isinstance(node, A.Call) and node.func in NON_NEGATIVE_FUNCS) or (
        isinstance(node, A.Quant) and node.kind == "count")


def _flat(node: A.BoolOp) -> list[A.Node]:
    out: list[A.Node] = []
    for v in node.values:
        if isinstance(v, A.PredicateCall) and isinstance(v.body, A.BoolOp) and v.body.op == node.op:
            out.extend(_flat(v.body))
        elif isinstance(v, A.BoolOp) and v.op == node.op:
            out.extend(_flat(v))
        else:
            out.append(v)
    return out


def _contradiction(node: A.BoolOp) -> bool:
    """`x == "A" and x == "B"`, `x == "A" and x != "A"`, `c and not c`."""
    eq: dict[str, set[Any]] = {}
    ne: dict[str, set[Any]] = {}
    texts = set()
    for v in _flat(node):
        texts.add(normalize(v))
        if isinstance(v, A.Compare) and v.op in ("==", "!="):
            for a, b in ((v.left, v.right), (v.right, v.left)):
                k, val = _const(b)
                if k and not _const(a)[0]:
                    (eq if v.op == "==" else ne).setdefault(normalize(a), set()).add(val)
    if any(len(vals) > 1 for vals in eq.values()):
        return True
    if any(eq.get(k, set()) & vals for k, vals in ne.items()):
        return True
    return any(t.startswith("not ") and t[4:].strip("()") in texts for t in texts)


def _tautology(node: A.BoolOp) -> bool:
    texts = {normalize(v) for v in _flat(node)}
    return any(t.startswith("not ") and t[4:].strip("()") in texts for t in texts)


# ---- the linter ----------------------------------------------------------------------------------------------------

def _exprs(rule: Rule) -> Iterator[Expr]:
    yield rule.when
    for _, e in rule.lets:
        yield e


def _nodes(rule: Rule) -> Iterator[A.Node]:
    for e in _exprs(rule):
        if e.node is not None:
            yield from A.walk(e.node)
    for part in [*rule.message, *rule.fix]:
        if part.node is not None:
            yield from A.walk(part.node)


def _overlap(a: Rule, b: Rule) -> bool:
    lo = max(a.effective_from or _MIN, b.effective_from or _MIN)
    hi = min(a.effective_to or _MAX, b.effective_to or _MAX)
    return lo <= hi


def _covers(wide: Rule, narrow: Rule) -> bool:
    """The wide rule is in effect whenever the narrow one is."""
    return ((wide.effective_from or _MIN) <= (narrow.effective_from or _MIN)
            and (narrow.effective_to or _MAX) <= (wide.effective_to or _MAX))


def lint_packs(packs: Iterable[Pack]) -> LintResult:
    packs = list(packs)
    diags: list[Diagnostic] = []
    rules = [r for p in packs for r in p.rules]
    for rule in rules:
        diags.extend(_lint_rule(rule))
    diags.extend(_duplicates(rules))
    for pack in packs:
        diags.extend(_unused(pack))
    diags.sort(key=lambda d: (d.position.file if d.position else "", d.position.line if d.position else 0,
                              d.position.col if d.position else 0, d.code))
    return LintResult(diags)


def _lint_rule(rule: Rule) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    if PLACEHOLDER_SOURCE.match(rule.source or ""):
        out.append(_rule_diag(rule, "L001", "error", f"rule {rule.id} has no source", "cite the manual and "
                              "chapter, article or table the rule rests on", ("source",) if rule.source else ("id",)))
    kinds = {("fires" if "fires" in ex else "passes") for ex in rule.examples}
    if "fires" not in kinds:
        out.append(_rule_diag(rule, "L002", "warning", f"rule {rule.id} has no firing example",
                              "add `- fires: {claim}` under examples:"))
    if "passes" not in kinds:
        out.append(_rule_diag(rule, "L003", "warning", f"rule {rule.id} has no passing example",
                              "add `- passes: {claim}` for a near miss that must not fire"))
    when = rule.when
    node = when.node
    if node is not None:
        t = truth(node)
        if t is False:
            out.append(_diag("L010", "error", f"the condition of {rule.id} can never be true", when, node,
                             "the rule never fires; check for an empty set, contradictory == tests or count(...) < 0"))
        elif t is True:
            out.append(_diag("L011", "error", f"the condition of {rule.id} is always true", when, node,
                             "the rule fires on every claim (line); check `or` branches and constant comparisons"))
        else:
            out.extend(_parts(rule, when, node))
    for e in _exprs(rule):
        for n in A.walk(e.node) if e.node is not None else ():
            out.extend(_deprecated(rule, e, n))
    return out


def _parts(rule: Rule, when: Expr, node: A.Node) -> Iterator[Diagnostic]:
    seen: set[int] = set()
    for n in A.walk(node):
        if isinstance(n, A.BoolOp):
            for v in n.values:
                t = truth(v)
                if t is None or id(v) in seen:
                    continue
                seen.add(id(v))
                if n.op == "and" and t is False:
                    yield _diag("L010", "error", f"this part of {rule.id}'s condition can never be true, so neither "
                                "can the condition", when, v, "remove it or fix the test")
                elif n.op == "or" and t is True:
                    yield _diag("L011", "error", f"this part of {rule.id}'s condition is always true, so the "
                                "condition is too", when, v, "remove it or fix the test")
                else:
                    yield _diag("L012", "warning", f"constant sub-condition in {rule.id} (always {str(t).lower()})",
                                when, v, "remove it")


def _deprecated(rule: Rule, when: Expr, node: A.Node) -> Iterator[Diagnostic]:
    if isinstance(node, A.Compare):
        sides = [node.left, node.right]
        names = {s.name for s in sides if isinstance(s, A.Attr)}
        if any(n.endswith("_to") for n in names) and any(n.endswith("_from") for n in names):
            for s in sides:
                s.lint_range_check = True  # type: ignore[attr-defined]
    if isinstance(node, A.Attr) and not getattr(node, "lint_range_check", False):
        record = getattr(getattr(node.obj, "type", None), "record", None)
        hit = DEPRECATED_FIELDS.get((record or "", node.name))
        if hit:
            preferred, why = hit
            yield _diag("L030", "warning", f"{to_text(node)} is deprecated in conditions: use {preferred}", when,
                        node, why)


def _duplicates(rules: list[Rule]) -> Iterator[Diagnostic]:
    norm: dict[int, str] = {}
    conj: dict[int, set[str]] = {}
    for r in rules:
        if r.when.node is None:
            continue
        resolver = set_items_of(r.pack)
        lets = ";".join(f"{n}={normalize(e.node, resolver)}" for n, e in r.lets)
        norm[id(r)] = f"{r.scope}|{lets}|{normalize(r.when.node, resolver)}"
        node = r.when.node
        while isinstance(node, A.PredicateCall) and node.body is not None:
            node = node.body
        parts = _flat(node) if isinstance(node, A.BoolOp) and node.op == "and" else [node]
        conj[id(r)] = {f"{r.scope}|{lets}|{normalize(p, resolver)}" for p in parts}
    live = [r for r in rules if id(r) in norm]
    for i, b in enumerate(live):
        for a in live[:i]:
            if not _overlap(a, b):
                continue
            if norm[id(a)] == norm[id(b)]:
                same = to_text(a.when.node) == to_text(b.when.node)
                yield _diag("L004", "error", f"{b.id} has the same condition as {a.id} ({a.location})"
                            + ("" if same else " once normalized"), b.when, b.when.node,
                            "merge the rules, or give them different effective dates")
            elif conj[id(a)] < conj[id(b)] or conj[id(b)] < conj[id(a)]:
                narrow, wide = (b, a) if conj[id(a)] < conj[id(b)] else (a, b)
                if a.category != b.category or not _covers(wide, narrow):
                    continue
                yield _diag("L005", "warning", f"{narrow.id} is a narrower copy of {wide.id} ({wide.location}): "
                            f"whenever {narrow.id} fires, {wide.id} fires too", narrow.when, narrow.when.node,
                            "merge them or make the wider rule exclude the narrower case")


def _unused(pack: Pack) -> Iterator[Diagnostic]:
    used_names: set[str] = set()
    used_params: set[str] = set()
    used_preds: set[str] = set()
    trees: list[A.Node] = []
    for r in pack.rules:
        trees.extend(_nodes(r))
    for p in pack.predicates.values():
        if p.body.node is not None:
            trees.extend(A.walk(p.body.node))
    for n in trees:
        if isinstance(n, A.Name):
            used_names.add(n.id)
        elif isinstance(n, A.Attr) and isinstance(n.obj, A.Name) and n.obj.id == "param":
            used_params.add(n.name)
        elif isinstance(n, A.PredicateCall):
            used_preds.add(n.name)
        elif isinstance(n, A.Call):
            used_preds.add(n.func)
    doc = pack.doc
    for items in (doc.data.get("sets") or {}).values():
        used_names.update(i for i in items or [] if isinstance(i, str))
    for name in pack.sets:
        if name not in used_names:
            yield doc.diag("L020", f"named set {name} is never used", ("sets", name), "remove it or use it in a rule",
                           key=True, severity="warning")
    for name, pred in pack.predicates.items():
        if name not in used_preds and name not in used_names:
            yield make_diag("L021", f"predicate {name} is never used", doc.source, pred.position,
                            "remove it or call it from a rule", "warning")
    for name in pack.params:
        if name not in used_params:
            yield doc.diag("L022", f"parameter {name} is never used", ("parameters", name),
                           "remove it or read it as param." + name, key=True, severity="warning")
