"""The benchmark rules in three peer expression engines: cel-python, rule-engine and zen-engine.

Each peer compiles every rule once; per claim the claim, its lines, pairs and diagnoses are converted once
into the peer's value types (not per rule), then every rule of the scope is evaluated (`indexed=False`: how the
peer is used on its own), or only the rules keyed on the item's code (`indexed=True`: the peer behind the same
dict index as the hand-written baseline, which isolates expression-evaluation cost).

Table-backed rules: cel-python and rule-engine call host functions `mue(code)` / `ptp(a, b)`; zen expressions
cannot call host functions, so the MUE value and the PTP hit are looked up once per line / pair while the
context is built and passed in as fields (`line.mue`, `ptp`).
"""

from __future__ import annotations

import importlib.util
import re
from collections import defaultdict
from collections.abc import Callable
from typing import Any

AVAILABLE = {name: importlib.util.find_spec(mod) is not None
             for name, mod in (("cel-python", "celpy"), ("rule-engine", "rule_engine"), ("zen-engine", "zen"))}


def _q(s: str) -> str:
    return '"' + s + '"'


_FIELD = re.compile(r"\b([a-z]+)\.(code|units|modifiers|lines|total_charge|dx|mue)\b")


def expressions(spec: dict[str, Any], peer: str) -> str:
    """The rule as the peer's expression language writes it (rule-engine reads mapping keys as m['key'];
    its dot fallback on mappings is deprecated and slower)."""
    text = _expression(spec, peer)
    return _FIELD.sub(r"\1['\2']", text) if peer == "rule-engine" else text


def _expression(spec: dict[str, Any], peer: str) -> str:
    k = spec["kind"]
    cel = peer == "cel-python"
    AND, NOT = (" && ", "!") if cel else (" and ", "not ")
    OR = " || " if cel else " or "
    c = _q(spec.get("code", ""))

    def contains(coll: str, item: str) -> str:
        return f"contains({coll}, {item})" if peer == "zen-engine" else f"{item} in {coll}"

    if k == "line_units":
        return f"line.code == {c}{AND}line.units > {spec['k']}{'.0' if cel else ''}"
    if k == "line_mod":
        return f"line.code == {c}{AND}{contains('line.modifiers', _q(spec['mod']))}"
    if k == "claim":
        amt = f"{spec['amount']}.0" if cel else spec["amount"]
        if cel:
            anyl = f"claim.lines.exists(l, l.code == {c})"
        elif peer == "rule-engine":
            anyl = f"[l for l in claim.lines if l.code == {c}].length > 0"
        else:
            anyl = f"some(claim.lines, #.code == {c})"
        return f"{anyl}{AND}claim.total_charge > {amt}"
    if k == "pair":
        byp = OR.join(contains("b.modifiers", _q(m)) for m in spec["bypass"])
        return f"a.code == {c}{AND}b.code == {_q(spec['code2'])}{AND}{NOT}({byp})"
    if k == "dx_line":
        need = OR.join(contains("line.dx", _q(d)) for d in spec["dx"])
        return f"line.code == {c}{AND}{NOT}({need})"
    if k == "dx_claim":
        p = _q(spec["proc"])
        if cel:
            anyl = f"claim.lines.exists(l, l.code == {p})"
        elif peer == "rule-engine":
            anyl = f"[l for l in claim.lines if l.code == {p}].length > 0"
        else:
            anyl = f"some(claim.lines, #.code == {p})"
        return f"dx.code == {c}{AND}{anyl}"
    if k in ("table_mue", "table_mue_all"):
        head = f"line.code == {c}{AND}" if k == "table_mue" else ""
        if cel:
            return f"{head}mue(line.code) >= 0{AND}line.units > double(mue(line.code))"
        if peer == "rule-engine":
            return f"{head}mue(line.code) != null{AND}line.units > mue(line.code)"
        return f"{head}line.mue != null{AND}line.units > line.mue"
    if k == "table_ptp":
        return "ptp(a.code, b.code)" if peer != "zen-engine" else "ptp"
    raise ValueError(k)


SCOPE = {"line_units": "line", "line_mod": "line", "claim": "claim", "pair": "pair", "dx_line": "line",
         "dx_claim": "dx", "table_mue": "line", "table_mue_all": "line", "table_ptp": "pair"}


def _compiler(peer: str, tables: Any) -> tuple[Callable[[str], Callable[[dict[str, Any]], Any]], Callable[[Any], Any]]:
    """(compile expression -> evaluate(activation), convert a plain dict to the peer's values)."""

    def mue_value(code: str) -> int | None:
        hit = tables.mue(code, None, "practitioner")
        return None if hit is None else hit.value

    def ptp_hit(a: str, b: str) -> bool:
        return tables.ptp(a, b, None, "practitioner") is not None

    if peer == "cel-python":
        import celpy
        from celpy import celtypes

        env = celpy.Environment()

        def cel_mue(code: Any) -> Any:
            v = mue_value(str(code))
            return celtypes.IntType(-1 if v is None else v)

        def cel_ptp(a: Any, b: Any) -> Any:
            return celtypes.BoolType(ptp_hit(str(a), str(b)))

        functions = {"mue": cel_mue, "ptp": cel_ptp}

        def compile_cel(text: str) -> Callable[[dict[str, Any]], Any]:
            return env.program(env.compile(text), functions=functions).evaluate
        return compile_cel, celpy.json_to_cel
    if peer == "rule-engine":
        import rule_engine

        ctx = rule_engine.Context()
        host = {"mue": mue_value, "ptp": ptp_hit}

        def compile_re(text: str) -> Callable[[dict[str, Any]], Any]:
            return rule_engine.Rule(text, context=ctx).matches
        return compile_re, lambda d: {**d, **host} if "claim" in d else d
    if peer == "zen-engine":
        import zen

        def compile_zen(text: str) -> Callable[[dict[str, Any]], Any]:
            return zen.compile_expression(text).evaluate
        return compile_zen, lambda d: d
    raise ValueError(peer)


def _line_dict(line: Any, mue: Callable[[str], int | None] | None) -> dict[str, Any]:
    d = {"code": line.code, "units": float(line.units), "modifiers": list(line.modifiers),
         "dx": [x.code for x in line.diagnoses]}
    if mue is not None:
        d["mue"] = mue(line.code)
    return d


class PeerEvaluator:
    """One peer over the whole rule set; `fire(claim)` returns (rule index, binding) like `Handwritten.fire`."""

    def __init__(self, peer: str, specs: list[dict[str, Any]], tables: Any, indexed: bool) -> None:
        self.peer = peer
        compile_expr, self.convert = _compiler(peer, tables)
        self.zen = peer == "zen-engine"
        self.tables = tables
        by_scope: dict[str, list[tuple[int, Callable[..., Any], str | None]]] = defaultdict(list)
        for i, spec in enumerate(specs):
            scope = SCOPE[spec["kind"]]
            key = spec.get("code") if indexed and spec["kind"] not in ("table_ptp", "table_mue_all") else None
            by_scope[scope].append((i, compile_expr(expressions(spec, peer)), key))
        self.indexed = indexed
        self.all: dict[str, list[tuple[int, Callable[..., Any]]]] = {}
        self.ix: dict[str, dict[str | None, list[tuple[int, Callable[..., Any]]]]] = {}
        for scope in ("claim", "line", "pair", "dx"):
            rules = by_scope.get(scope, [])
            self.all[scope] = [(i, f) for i, f, _ in rules]
            ix: dict[str | None, list[tuple[int, Callable[..., Any]]]] = defaultdict(list)
            for i, f, key in rules:
                ix[key].append((i, f))
            self.ix[scope] = dict(ix)

    def _rules(self, scope: str, code: str) -> list[tuple[int, Callable[..., Any]]]:
        if not self.indexed:
            return self.all[scope]
        ix = self.ix[scope]
        return ix.get(code, []) + ix.get(None, [])

    def fire(self, claim: Any) -> list[tuple[int, Any]]:
        conv = self.convert
        mue = None
        if self.zen:
            def mue(code: str) -> int | None:
                hit = self.tables.mue(code, None, "practitioner")
                return None if hit is None else hit.value
        lines = [_line_dict(ln, mue) for ln in claim.lines]
        cdict = {"total_charge": float(claim.total_charge or 0), "lines": lines}
        cview = conv(cdict)
        hits: list[tuple[int, Any]] = []
        if self.indexed:
            crules: dict[int, Callable[..., Any]] = {}
            for ln in claim.lines:
                crules.update(self._rules("claim", ln.code))
            claim_rules = sorted(crules.items())
        else:
            claim_rules = self.all["claim"]
        if claim_rules:
            act = conv({"claim": cdict}) if not self.zen else {"claim": cdict}
            if self.peer == "cel-python":
                act = {"claim": cview}
            for i, f in claim_rules:
                if f(act):
                    hits.append((i, None))
        line_acts = []
        for ln, ld in zip(claim.lines, lines, strict=True):
            if self.peer == "cel-python":
                act = {"claim": cview, "line": conv(ld)}
            elif self.zen:
                act = {"claim": cdict, "line": ld}
            else:
                act = conv({"claim": cdict, "line": ld})
            line_acts.append(act)
            for i, f in self._rules("line", ln.code):
                if f(act):
                    hits.append((i, ln))
        pair_all = self.all["pair"]
        if pair_all and len(lines) > 1:
            for ia, a in enumerate(claim.lines):
                rules = self._rules("pair", a.code)
                if not rules:
                    continue
                for ib, b in enumerate(claim.lines):
                    if ia == ib:
                        continue
                    if self.peer == "cel-python":
                        act = {"claim": cview, "a": line_acts[ia]["line"], "b": line_acts[ib]["line"]}
                    elif self.zen:
                        act = {"a": lines[ia], "b": lines[ib],
                               "ptp": self.tables.ptp(a.code, b.code, None, "practitioner") is not None}
                    else:
                        act = conv({"claim": cdict, "a": lines[ia], "b": lines[ib]})
                    for i, f in rules:
                        if f(act):
                            hits.append((i, (a, b)))
        if self.all["dx"]:
            for d in claim.diagnoses:
                rules = self._rules("dx", d.code)
                if not rules:
                    continue
                if self.peer == "cel-python":
                    act = {"claim": cview, "dx": conv({"code": d.code})}
                elif self.zen:
                    act = {"claim": cdict, "dx": {"code": d.code}}
                else:
                    act = conv({"claim": cdict, "dx": {"code": d.code}})
                for i, f in rules:
                    if f(act):
                        hits.append((i, d))
        return hits


def build(peer: str, specs: list[dict[str, Any]], tables: Any, indexed: bool = False) -> PeerEvaluator:
    return PeerEvaluator(peer, specs, tables, indexed)
