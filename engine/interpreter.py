"""A tree-walking interpreter with the same semantics as the compiled code, recording what it saw.

It is the oracle for the compiler (tests run both and compare) and the explainer: it only runs when a compiled
rule has fired (to collect evidence and render the message) or when a user asks `claimscrub explain`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import runtime as rt
from .dsl import ast as A
from .ruleset import Rule, RuleSet
from .tables.records import AddonEdit, Excludes1Hit, Icd10Info, MceInfo, MueLimit, PtpEdit, TableRow

TABLE_RECORDS = (PtpEdit, MueLimit, AddonEdit, Icd10Info, Excludes1Hit, MceInfo, TableRow)  # carry provenance

_CMP = {"==": rt.eq, "!=": rt.ne, "<": rt.lt, "<=": rt.le, ">": rt.gt, ">=": rt.ge}
_BIN = {"+": rt.add, "-": rt.sub, "*": rt.mul, "/": rt.div, "%": rt.mod}


@dataclass
class Trace:
    values: dict[int, Any] = field(default_factory=dict)  # id(node) -> value, for evaluated nodes
    witnesses: dict[str, Any] = field(default_factory=dict)
    tables: list[Any] = field(default_factory=list)  # table records the evaluation looked at


class Interpreter:
    def __init__(self, ruleset: RuleSet, tables: Any, ctx: rt.Context) -> None:
        self.ruleset = ruleset
        self.tables = tables
        self.ctx = ctx
        self.rule: Rule | None = None
        self._methods: dict[type, Any] = {}  # node type -> evaluation method, looked up once

    # ---- environment ---------------------------------------------------------------------------------------------

    def base_env(self, rule: Rule, claim: Any, scope_values: dict[str, Any]) -> dict[str, Any]:
        self.rule = rule
        env = {
            "claim": claim, "patient": claim.patient, "subscriber": claim.subscriber, "payer": claim.payer,
            "provider": claim.billing_provider, "rendering": claim.rendering_provider, "lines": claim.lines,
            "diagnoses": claim.diagnoses, "as_of": self.ctx.as_of,
        }
        env.update(scope_values)
        return env

    def dos(self, env: dict[str, Any]) -> Any:
        assert self.rule is not None
        if self.rule.scope == "line":
            return env["line"].service_date_from
        if self.rule.scope == "pair":
            return env["a"].service_date_from
        return self.ctx.dos

    # ---- evaluation ----------------------------------------------------------------------------------------------

    def eval(self, node: A.Node, env: dict[str, Any], trace: Trace | None, depth: int = 0) -> Any:
        method = self._methods.get(type(node))
        if method is None:
            method = self._methods[type(node)] = getattr(self, "_" + type(node).__name__)
        value = method(node, env, trace, depth)
        if trace is not None:
            trace.values[id(node)] = value
            if isinstance(value, TABLE_RECORDS) and value.provenance is not None and value not in trace.tables:
                trace.tables.append(value)
        return value

    def _Literal(self, node: A.Literal, env, trace, depth):
        return node.value

    def _Name(self, node: A.Name, env, trace, depth):
        if getattr(node, "ref", None) == "set":
            assert self.rule is not None
            return self.rule.pack.sets[node.id]
        return env[node.id]

    def _param(self, name: str) -> Any:
        assert self.rule is not None
        pack = self.rule.pack
        return self.ruleset.params.get(f"{pack.name}.{name}", pack.params[name].default)

    def _Attr(self, node: A.Attr, env, trace, depth):
        if getattr(node, "ref", None) == "param":
            return self._param(node.name)
        return rt.attr(self.eval(node.obj, env, trace, depth + 1), node.name)

    def _Index(self, node: A.Index, env, trace, depth):
        return rt.index(self.eval(node.obj, env, trace, depth + 1), self.eval(node.index, env, trace, depth + 1))

    def _Call(self, node: A.Call, env, trace, depth):
        args = [self.eval(a, env, trace, depth + 1) for a in node.args]
        name = node.func
        if name in rt.PURE_FUNCS:
            return rt.PURE_FUNCS[name](*args)
        want = {"ptp": 3, "mue": 2, "addon": 2, "icd10": 2, "excludes1": 3, "mce": 2, "lookup": 3, "in_table": 3}[name]
        if len(args) < want:
            args.append(self.dos(env))
        if any(a is None for a in args[: want - 1]):
            return False if name == "in_table" else None
        if name in ("ptp", "mue"):
            return getattr(self.tables, name)(*args, self.ctx.setting)
        if name == "lookup":
            return self.tables.lookup(*args)
        if name == "in_table":
            return self.tables.lookup(*args) is not None
        return getattr(self.tables, name)(*args)

    def _Cond(self, node: A.Cond, env, trace, depth):
        if self.eval(node.test, env, trace, depth + 1):
            return self.eval(node.then, env, trace, depth + 1)
        return self.eval(node.orelse, env, trace, depth + 1)

    def _PredicateCall(self, node: A.PredicateCall, env, trace, depth):
        assert node.body is not None
        return self.eval(node.body, env, trace, depth + 1)

    def _Neg(self, node: A.Neg, env, trace, depth):
        return rt.neg(self.eval(node.operand, env, trace, depth + 1))

    def _Not(self, node: A.Not, env, trace, depth):
        return not self.eval(node.operand, env, trace, depth + 1)

    def _BoolOp(self, node: A.BoolOp, env, trace, depth):
        value: Any = node.op == "and"
        for v in node.values:
            value = self.eval(v, env, trace, depth + 1)
            if node.op == "and" and not value:
                return value
            if node.op == "or" and value:
                return value
        return value

    def _BinOp(self, node: A.BinOp, env, trace, depth):
        return _BIN[node.op](self.eval(node.left, env, trace, depth + 1), self.eval(node.right, env, trace, depth + 1))

    def _set(self, node: A.Node, env, trace, depth) -> Any:
        if isinstance(node, A.SetLit):
            return self._SetLit(node, env, trace, depth)
        return self.eval(node, env, trace, depth + 1)

    def _Compare(self, node: A.Compare, env, trace, depth):
        left = self.eval(node.left, env, trace, depth + 1)
        right = self.eval(node.right, env, trace, depth + 1)
        if isinstance(right, rt.CodeSet) and right.simple:
            right = right.exact
        if node.op == "in":
            return left in right if right is not None else False
        if node.op == "not in":
            return left is not None and right is not None and left not in right
        return _CMP[node.op](left, right)

    def _IsNull(self, node: A.IsNull, env, trace, depth):
        value = self.eval(node.operand, env, trace, depth + 1)
        return (value is not None) if node.negated else (value is None)

    def _Between(self, node: A.Between, env, trace, depth):
        return rt.between(*(self.eval(n, env, trace, depth + 1) for n in (node.operand, node.low, node.high)))

    def _Has(self, node: A.Has, env, trace, depth):
        mods = getattr(self.eval(node.subject, env, trace, depth + 1), "modifiers", None) or ()
        value = self.eval(node.value, env, trace, depth + 1)
        if node.mode == "one":
            return value in mods
        found = any(m in value for m in mods)
        return found if node.mode == "any" else not found

    def _SetLit(self, node: A.SetLit, env, trace, depth):
        from .compiler import RuleCompiler, _Gen

        comp = RuleCompiler(self.ruleset, _Gen())
        comp.rule = self.rule
        return comp.codeset(node)

    def _ListLit(self, node: A.ListLit, env, trace, depth):
        return [self.eval(i, env, trace, depth + 1) for i in node.items]

    def _CodeRange(self, node: A.CodeRange, env, trace, depth):
        return rt.CodeSet(ranges=[(node.low, node.high)])

    def _Quant(self, node: A.Quant, env, trace, depth):
        coll = self.eval(node.coll, env, trace, depth + 1)
        items = list(coll.items() if isinstance(coll, rt.CodeSet) else (coll or ()))
        hits: list[Any] = []
        total: Any = 0
        witness = None
        for item in items:
            inner = dict(env)
            inner[node.var] = item
            ok = True if node.cond is None else bool(self.eval(node.cond, inner, None))
            if node.kind == "all" and not ok and witness is None:
                witness = item
            if ok:
                hits.append(item)
                if node.kind == "sum":
                    assert node.value is not None
                    v = self.eval(node.value, inner, None)
                    if v is not None:
                        total += v
        if node.kind in ("any", "none") and hits:
            witness = hits[0]
        if trace is not None and witness is not None:
            trace.witnesses.setdefault(node.var, witness)
            if node.cond is not None:
                inner = dict(env)
                inner[node.var] = witness
                self.eval(node.cond, inner, trace, depth + 1)
        if node.kind == "any":
            return bool(hits)
        if node.kind == "none":
            return not hits
        if node.kind == "all":
            return len(hits) == len(items)
        if node.kind == "count":
            return len(hits)
        return total

    # ---- a rule --------------------------------------------------------------------------------------------------

    def run(self, rule: Rule, claim: Any, scope_values: dict[str, Any]) -> tuple[bool, dict[str, Any], Trace]:
        """Evaluate lets and the condition with tracing; returns (fired, env with lets and witnesses, trace)."""
        env = self.base_env(rule, claim, scope_values)
        trace = Trace()
        for name, expr in rule.lets:
            if expr.node is not None:
                env[name] = self.eval(expr.node, env, trace)
        fired = bool(self.eval(rule.when.node, env, trace)) if rule.when.node is not None else False
        env.update({k: v for k, v in trace.witnesses.items() if k not in env})
        return fired, env, trace
