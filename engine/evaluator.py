"""Evaluate stage: run the compiled rules a claim can trigger and build explained findings.

Dispatch is by index: each line's code maps (through a memo) to the tuple of line rules keyed on that code
plus the unkeyed ones, so the cost of a claim grows with its lines and the rules that can fire for them,
not with the size of the rule set. The interpreter runs only for rules that fired, to explain them.
"""

from __future__ import annotations

import traceback
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from . import runtime as rt
from .compiler import FILENAME, IndexKey, compile_ruleset, load_functions
from .explain import evidence, render_template
from .interpreter import Interpreter
from .model import Claim
from .ruleset import Rule, RuleSet
from .source import Position

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
SCOPE_NAMES = {"claim": [], "line": ["line"], "pair": ["a", "b"], "diagnosis": ["dx"]}


class RuleRuntimeError(Exception):
    def __init__(self, rule: Rule, position: Position | None, exc: BaseException) -> None:
        self.rule = rule
        self.position = position
        self.exc = exc
        super().__init__(f"rule {rule.id} failed at {position or rule.location}: {type(exc).__name__}: {exc}")


class _Index:
    """Rules of one scope, keyed by the codes (or modifiers) they require."""

    def __init__(self) -> None:
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.prefix: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.ranges: list[tuple[str, str, int]] = []
        self.modifier: dict[str, list[int]] = defaultdict(list)
        self.unkeyed: list[int] = []
        self._memo: dict[str, tuple[int, ...]] = {}

    def add(self, order: int, key: IndexKey | None) -> None:
        if key is None:
            self.unkeyed.append(order)
            return
        if key.kind == "modifier":
            for m in key.exact:
                self.modifier[m].append(order)
            return
        for code in key.exact:
            self.exact[code].append(order)
        for p in key.prefixes:
            self.prefix[len(p)][p].append(order)
        cs = rt.CodeSet(ranges=key.ranges)
        heads, rest = cs.enumerate_ranges()
        for h in heads:
            self.prefix[len(h)][h].append(order)
        self.ranges.extend((lo, hi, order) for lo, hi in rest)

    def for_code(self, code: str, with_unkeyed: bool = True) -> tuple[int, ...]:
        key = code if with_unkeyed else "\0" + code
        hit = self._memo.get(key)
        if hit is not None:
            return hit
        found = set(self.exact.get(code, ()))
        for n, table in self.prefix.items():
            found.update(table.get(code[:n], ()))
        for lo, hi, order in self.ranges:
            if lo <= code[: len(lo)] <= hi:
                found.add(order)
        if with_unkeyed:
            found.update(self.unkeyed)
        result = tuple(sorted(found))
        if len(self._memo) < 200_000:
            self._memo[key] = result
        return result


class Engine:
    """A compiled rule set bound to its tables. Thread-safe: evaluation keeps no state between claims."""

    def __init__(self, ruleset: RuleSet, tables: Any | None = None, show_phi: bool = False) -> None:
        self.ruleset = ruleset
        self.tables = tables if tables is not None else rt.MissingTables()
        self.show_phi = show_phi
        self.source, self.keys, self.line_map, consts = compile_ruleset(ruleset)
        self.functions: list[Callable[..., Any]] = load_functions(self.source, consts, self.tables)
        self.rules = ruleset.rules
        self.skipped: dict[str, str] = {}
        self.eff: list[tuple[date | None, date | None] | None] = []
        self.line_ix, self.pair_a, self.pair_b, self.dx_ix = _Index(), _Index(), _Index(), _Index()
        self.claim_code, self.claim_dx = _Index(), _Index()
        self.claim_unkeyed: list[int] = []
        self.pair_unkeyed: list[int] = []
        for rule, key in zip(self.rules, self.keys, strict=True):
            self.eff.append((rule.effective_from, rule.effective_to)
                            if rule.effective_from or rule.effective_to else None)
            missing = sorted(k for k in rule.tables if not self._has_table(k))
            if missing:
                self.skipped[rule.id] = f"needs table(s) not loaded: {', '.join(missing)}"
                continue
            o = rule.order
            if rule.scope == "line":
                self.line_ix.add(o, key)
            elif rule.scope == "diagnosis":
                self.dx_ix.add(o, key)
            elif rule.scope == "pair":
                if key is None:
                    self.pair_unkeyed.append(o)
                else:
                    (self.pair_a if key.var == "a" else self.pair_b).add(o, key)
            elif key is None:
                self.claim_unkeyed.append(o)
            else:
                (self.claim_code if key.kind == "claim_code" else self.claim_dx).add(o, key)

    def _has_table(self, kind: str) -> bool:
        try:
            return bool(self.tables.has(kind))
        except Exception:  # noqa: BLE001 - a broken table source means the table is not usable
            return False

    # ---- dispatch ------------------------------------------------------------------------------------------------

    def context(self, claim: Claim, as_of: date) -> rt.Context:
        setting = "hospital" if claim.type == "institutional" else "practitioner"
        return rt.Context(as_of, setting, claim.service_date)

    def _active(self, order: int, on: date | None) -> bool:
        window = self.eff[order]
        if window is None:
            return True
        lo, hi = window
        if on is None:
            return True
        return (lo is None or lo <= on) and (hi is None or on <= hi)

    def fire_candidates(self, claim: Claim, X: rt.Context) -> list[tuple[int, dict[str, Any]]]:
        """(rule order, scope bindings) of every rule that fires on the claim, from the compiled functions."""
        fns = self.functions
        hits: list[tuple[int, dict[str, Any]]] = []
        order = -1
        try:
            claim_rules: set[int] = set(self.claim_unkeyed)
            if self.claim_code.exact or self.claim_code.prefix or self.claim_code.ranges:
                for code in {ln.code for ln in claim.lines}:
                    claim_rules.update(self.claim_code.for_code(code, False))
            if self.claim_dx.exact or self.claim_dx.prefix or self.claim_dx.ranges:
                for d in claim.diagnoses:
                    claim_rules.update(self.claim_dx.for_code(d.code, False))
            for order in sorted(claim_rules):
                if (self.eff[order] is None or self._active(order, X.dos)) and fns[order](claim, X):
                    hits.append((order, {}))
            line_ix = self.line_ix
            mods_ix = line_ix.modifier
            for line in claim.lines:
                on = line.service_date_from
                for order in line_ix.for_code(line.code):
                    if (self.eff[order] is None or self._active(order, on)) and fns[order](claim, line, X):
                        hits.append((order, {"line": line}))
                if mods_ix and line.modifiers:
                    seen: set[int] = set()
                    for m in line.modifiers:
                        for order in mods_ix.get(m, ()):
                            if order in seen:
                                continue
                            seen.add(order)
                            if (self.eff[order] is None or self._active(order, on)) and fns[order](claim, line, X):
                                hits.append((order, {"line": line}))
            if self.pair_unkeyed or self.pair_a.exact or self.pair_a.prefix or self.pair_b.exact or \
                    self.pair_b.prefix or self.pair_a.ranges or self.pair_b.ranges:
                lines = claim.lines
                a_rules = [self.pair_a.for_code(ln.code, False) for ln in lines]
                b_rules = [self.pair_b.for_code(ln.code, False) for ln in lines]
                unkeyed = self.pair_unkeyed
                for i, a in enumerate(lines):
                    for j, b in enumerate(lines):
                        if i == j:
                            continue
                        for group in (unkeyed, a_rules[i], b_rules[j]):
                            for order in group:
                                if (self.eff[order] is None or self._active(order, a.service_date_from)) and \
                                        fns[order](claim, a, b, X):
                                    hits.append((order, {"a": a, "b": b}))
            dx_ix = self.dx_ix
            if dx_ix.unkeyed or dx_ix.exact or dx_ix.prefix or dx_ix.ranges:
                for d in claim.diagnoses:
                    for order in dx_ix.for_code(d.code):
                        if (self.eff[order] is None or self._active(order, X.dos)) and fns[order](claim, d, X):
                            hits.append((order, {"dx": d}))
        except Exception as exc:  # a rule failed at run time: report the rule and its YAML position
            raise self._runtime_error(exc, order) from exc
        return hits

    def _runtime_error(self, exc: BaseException, order: int) -> RuleRuntimeError:
        tb = traceback.extract_tb(exc.__traceback__)
        for frame in reversed(tb):
            if frame.filename == FILENAME and frame.lineno in self.line_map:
                rule, pos = self.line_map[frame.lineno]
                return RuleRuntimeError(rule, pos, exc)
        rule = self.rules[order] if 0 <= order < len(self.rules) else self.rules[0]
        return RuleRuntimeError(rule, None, exc)

    # ---- findings ------------------------------------------------------------------------------------------------

    def evaluate(self, claim: Claim, as_of: date) -> list[dict[str, Any]]:
        X = self.context(claim, as_of)
        hits = self.fire_candidates(claim, X)
        if not hits:
            return []
        interp = Interpreter(self.ruleset, self.tables, X)
        findings = [self.finding(self.rules[o], claim, scope, interp) for o, scope in hits]
        findings.sort(key=lambda f: (min(f["lines"]) if f["lines"] else 0, f["_order"], f["lines"]))
        for f in findings:
            del f["_order"]
        return findings

    def finding(self, rule: Rule, claim: Claim, scope: dict[str, Any], interp: Interpreter) -> dict[str, Any]:
        fired, env, trace = interp.run(rule, claim, scope)
        ev = evidence(rule, env, trace, SCOPE_NAMES[rule.scope], self.show_phi)
        if not fired:  # the compiled code and the interpreter disagree: never hide it
            ev["warning"] = "the explanation could not reproduce this finding; please report it"
        lines: list[int] = []
        codes: list[str] = []
        for name in SCOPE_NAMES[rule.scope] + sorted(trace.witnesses):
            value = env.get(name)
            if hasattr(value, "number") and hasattr(value, "modifiers"):
                if value.number not in lines:
                    lines.append(value.number)
                if value.code not in codes:
                    codes.append(value.code)
            elif hasattr(value, "position") and hasattr(value, "qualifier"):
                if value.code not in codes:
                    codes.append(value.code)
                for ln in claim.lines:
                    if value in ln.diagnoses and ln.number not in lines and rule.scope == "diagnosis":
                        lines.append(ln.number)
        denial = None
        if rule.denial:
            denial = {"group": rule.denial.get("group"), "carc": str(rule.denial.get("carc")),
                      "rarc": list(rule.denial.get("rarc") or [])}
        out: dict[str, Any] = {
            "rule_id": rule.id,
            "title": rule.title,
            "category": rule.category,
            "severity": rule.severity,
            "message": render_template(rule.message, interp, env, self.show_phi),
            "lines": lines,
            "codes": codes,
            "evidence": ev,
            "fix": render_template(rule.fix, interp, env, self.show_phi) if rule.fix else None,
            "denial": denial,
            "source": rule.source,
            "pack": {"name": rule.pack.name, "version": rule.pack.version},
            "rule_location": rule.location,
            "_order": rule.order,
        }
        segs = [ln.source for ln in claim.lines if ln.number in lines and ln.source]
        if segs:
            out["line_sources"] = segs
        return out
