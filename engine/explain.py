"""Explain stage: turn an interpreter trace into evidence, messages and a readable evaluation trace.

Evidence names each bound value (the line, the table row, the witness of an `any`) and each sub-condition that
made the rule fire, with operand values (`line.units > limit.value: 3 > 1`). Values under PHI fields (birth
date, member and patient ids) are redacted unless the caller asks for them.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from decimal import Decimal
from typing import Any

from . import runtime as rt
from .dsl import ast as A
from .dsl.parser import TemplatePart
from .interpreter import Interpreter, Trace
from .model import Claim, Diagnosis, Patient, Provider, ServiceLine, Subscriber
from .ruleset import Rule, src_of

PHI_ATTRS = {"birth_date", "member_id", "group_number"}
REDACTED = "[redacted]"


def plain(value: Any, show_phi: bool = False) -> Any:
    """A JSON-ready, deterministic rendering of a runtime value."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 10**15 else float(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, rt.CodeSet):
        return value.items()
    if isinstance(value, list | tuple | frozenset | set):
        items = [plain(v, show_phi) for v in value]
        return sorted(items, key=str) if isinstance(value, frozenset | set) else items
    if isinstance(value, ServiceLine):
        out = {"number": value.number, "code": value.code, "modifiers": list(value.modifiers),
               "units": plain(value.units), "date": plain(value.service_date_from)}
        if value.charge is not None:
            out["charge"] = plain(value.charge)
        return out
    if isinstance(value, Diagnosis):
        return {"position": value.position, "code": value.code}
    if isinstance(value, Patient):
        return {"sex": value.sex, "birth_date": plain(value.birth_date) if show_phi else REDACTED}
    if isinstance(value, Subscriber):
        return {"member_id": value.member_id if show_phi else REDACTED}
    if isinstance(value, Provider):
        return {"npi": value.npi}
    if isinstance(value, Claim):
        return {"claim_id": value.claim_id}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {}
        for f in dataclasses.fields(value):
            v = getattr(value, f.name)
            if f.name == "provenance" and v is not None:
                out["source"] = v.cite()
            else:
                out[f.name] = plain(v, show_phi)
        return out
    return str(value)


def text(value: Any) -> str:
    """How a value reads inside a message."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(text(v) for v in value) if value else "(none)"
    if isinstance(value, frozenset | set):
        return ", ".join(sorted(text(v) for v in value))
    if isinstance(value, ServiceLine):
        return f"line {value.number} ({value.code})"
    if isinstance(value, Diagnosis):
        return value.code
    p = plain(value)
    return str(p) if not isinstance(p, dict) else ", ".join(f"{k} {v}" for k, v in p.items())


def _is_phi(node: A.Node, phi_lets: frozenset[str] = frozenset()) -> bool:
    if isinstance(node, A.Name):
        return getattr(node, "ref", None) == "let" and node.id in phi_lets
    return isinstance(node, A.Attr) and (node.name in PHI_ATTRS or (
        node.name == "id" and isinstance(node.obj, A.Name) and node.obj.id == "patient"))


def phi_lets(rule: Rule | None) -> frozenset[str]:
    """`let` names bound straight to a PHI field: their values are PHI too."""
    if rule is None:
        return frozenset()
    return frozenset(name for name, expr in rule.lets if expr.node is not None and _is_phi(expr.node))


def render_template(parts: list[TemplatePart], interp: Interpreter, env: dict[str, Any], show_phi: bool = False) -> str:
    out: list[str] = []
    for part in parts:
        if part.node is None:
            out.append(part.text or "")
            continue
        if _is_phi(part.node, phi_lets(interp.rule)) and not show_phi:
            out.append(REDACTED)
            continue
        try:
            out.append(text(interp.eval(part.node, env, None)))
        except (KeyError, AttributeError, TypeError):
            out.append("?")
    return "".join(out)


_LEAVES = (A.Compare, A.Has, A.IsNull, A.Between, A.Quant, A.Call, A.Name, A.Attr, A.PredicateCall)


def _operands(node: A.Node) -> list[A.Node]:
    if isinstance(node, A.Compare | A.Between):
        return [c for c in node.children() if not isinstance(c, A.Literal | A.SetLit)]
    if isinstance(node, A.Has):
        return [node.subject]
    if isinstance(node, A.IsNull):
        return [node.operand]
    if isinstance(node, A.Call | A.PredicateCall):
        return [a for a in node.args if not isinstance(a, A.Literal)]
    return []


def _value_of(node: A.Node, trace: Trace, show_phi: bool, phi: frozenset[str] = frozenset()) -> Any:
    if _is_phi(node, phi) and not show_phi:
        return REDACTED
    value = trace.values.get(id(node))
    if isinstance(node, A.Name | A.Attr) and isinstance(value, ServiceLine) and isinstance(node, A.Has):
        return plain(value.modifiers)
    return plain(value, show_phi)


def conditions(node: A.Node | None, trace: Trace, show_phi: bool = False,
               phi: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """The sub-conditions that made the rule fire, each with its operand values."""
    out: list[dict[str, Any]] = []

    def visit(n: A.Node) -> None:
        if id(n) not in trace.values:
            return
        if isinstance(n, A.BoolOp):
            for v in n.values:
                if n.op == "and" or trace.values.get(id(v)):
                    visit(v)
            return
        entry: dict[str, Any] = {"expr": src_of(n).snippet(n), "value": plain(trace.values[id(n)], show_phi)}
        target = n.operand if isinstance(n, A.Not) else n
        values = {}
        for op in _operands(target):
            if isinstance(target, A.Has):
                subj = trace.values.get(id(op))
                values[src_of(op).snippet(op) + ".modifiers"] = plain(getattr(subj, "modifiers", None))
            else:
                values[src_of(op).snippet(op)] = _value_of(op, trace, show_phi, phi)
        if isinstance(target, A.Quant) and target.var in trace.witnesses:
            values[target.var] = plain(trace.witnesses[target.var], show_phi)
        if values:
            entry["values"] = values
        out.append(entry)

    if node is not None:
        visit(node)
    return out


def evidence(rule: Rule, env: dict[str, Any], trace: Trace, scope_names: list[str],
             show_phi: bool = False) -> dict[str, Any]:
    bindings: dict[str, Any] = {}
    for name in scope_names:
        bindings[name] = plain(env[name], show_phi)
    phi = phi_lets(rule)
    for name, _expr in rule.lets:
        bindings[name] = REDACTED if name in phi and not show_phi else plain(env.get(name), show_phi)
    for name, value in trace.witnesses.items():
        bindings.setdefault(name, plain(value, show_phi))
    out: dict[str, Any] = {"bindings": bindings, "conditions": conditions(rule.when.node, trace, show_phi, phi)}
    if trace.tables:
        out["tables"] = sorted({t.provenance.cite() for t in trace.tables})
    return out


def render_trace(rule: Rule, trace: Trace, show_phi: bool = False) -> list[str]:
    """Every evaluated node of the condition, indented by depth, in evaluation order (children first)."""
    if rule.when.node is None:
        return ["(condition did not parse)"]
    lines: list[str] = []
    phi = phi_lets(rule)

    def show(n: A.Node, depth: int) -> None:
        snippet = src_of(n).snippet(n)
        if id(n) not in trace.values:
            lines.append(f"{'  ' * depth}{snippet}  => not evaluated")
            return
        value = _value_of(n, trace, show_phi, phi)
        lines.append(f"{'  ' * depth}{snippet}  => {value!r}" if not isinstance(value, str) else
                     f"{'  ' * depth}{snippet}  => {value}")
        if isinstance(n, A.Literal | A.Name | A.SetLit | A.CodeRange):
            return
        kids = [n.body] if isinstance(n, A.PredicateCall) and n.body is not None else n.children()
        if isinstance(n, A.Quant):
            if n.var in trace.witnesses:
                lines.append(f"{'  ' * (depth + 1)}{n.var} = {plain(trace.witnesses[n.var], show_phi)}")
            kids = [k for k in kids if k is not None]
        for k in kids:
            if not isinstance(k, A.Literal | A.SetLit):
                show(k, depth + 1)

    show(rule.when.node, 0)
    return lines
