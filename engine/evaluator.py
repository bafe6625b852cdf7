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
from .compiler import (
    DISPATCH_FILENAME,
    FILENAME,
    DispatchPlan,
    IndexKey,
    compile_rules,
    dispatch_source,
    load_dispatch,
    load_functions,
)
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
    """Rules of one scope, keyed by the codes (or modifiers) they require.

    `entries(code)` answers with the (order, function) pairs to call, memoized per code, so the hot loop does
    one dict lookup per line and calls functions straight from a tuple.
    """

    def __init__(self, call: list[Callable[..., Any]]) -> None:
        self.call = call
        self.exact: dict[str, list[int]] = defaultdict(list)
        self.prefix: dict[int, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
        self.ranges: list[tuple[str, str, int]] = []
        self.modifier: dict[str, list[int]] = defaultdict(list)
        self.unkeyed: list[int] = []
        self.memo: dict[str, tuple[tuple[int, Callable[..., Any]], ...]] = {}  # keyed + unkeyed rules
        self.memo_keyed: dict[str, tuple[tuple[int, Callable[..., Any]], ...]] = {}  # keyed rules only

    def __bool__(self) -> bool:
        return bool(self.exact or self.prefix or self.ranges or self.modifier or self.unkeyed)

    @property
    def keyed(self) -> bool:
        return bool(self.exact or self.prefix or self.ranges)

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
        """Orders of the rules keyed on `code` (and the unkeyed ones), ascending."""
        found = set(self.exact.get(code, ()))
        for n, table in self.prefix.items():
            found.update(table.get(code[:n], ()))
        for lo, hi, order in self.ranges:
            if lo <= code[: len(lo)] <= hi:
                found.add(order)
        if with_unkeyed:
            found.update(self.unkeyed)
        return tuple(sorted(found))

    def entries(self, code: str) -> tuple[tuple[int, Callable[..., Any]], ...]:
        hit = self.memo.get(code)
        if hit is None:
            hit = self._fill(self.memo, code, True)
        return hit

    def entries_keyed(self, code: str) -> tuple[tuple[int, Callable[..., Any]], ...]:
        hit = self.memo_keyed.get(code)
        if hit is None:
            hit = self._fill(self.memo_keyed, code, False)
        return hit

    def modifier_entries(self, mods: list[str]) -> list[tuple[int, Callable[..., Any]]]:
        orders = sorted({o for m in mods for o in self.modifier.get(m, ())})
        return [(o, self.call[o]) for o in orders]

    def _fill(self, memo: dict[str, Any], code: str, with_unkeyed: bool) -> tuple[tuple[int, Callable[..., Any]], ...]:
        result = tuple((o, self.call[o]) for o in self.for_code(code, with_unkeyed))
        if len(memo) < 200_000:
            memo[code] = result
        return result


class _Entries:
    """What the generated dispatcher looks up, bound once: index entries per code and the claim rules."""

    def __init__(self, engine: Engine) -> None:
        self.claim_rules = engine.claim_rules
        self.line_entries = engine.line_ix.entries
        self.modifier_entries = engine.line_ix.modifier_entries
        self.pair_a_entries = engine.pair_a.entries
        self.pair_b_entries = engine.pair_b.entries_keyed
        self.dx_entries = engine.dx_ix.entries


def _active(window: tuple[date | None, date | None], on: date | None) -> bool:
    """A rule with an effective window applies when the date of service falls in it (no date: it applies)."""
    if on is None:
        return True
    lo, hi = window
    return (lo is None or lo <= on) and (hi is None or on <= hi)


def _dated(fn: Callable[..., Any], scope: str, window: tuple[date | None, date | None]) -> Callable[..., Any]:
    """`fn` behind its effective window, on the date that scope's rules are dated by."""
    if scope == "line":
        return lambda claim, line, X: _active(window, line.service_date_from) and fn(claim, line, X)
    if scope == "pair":
        return lambda claim, a, b, X: _active(window, a.service_date_from) and fn(claim, a, b, X)
    if scope == "diagnosis":
        return lambda claim, dx, X: _active(window, X.dos) and fn(claim, dx, X)
    return lambda claim, X: _active(window, X.dos) and fn(claim, X)


class Engine:
    """A compiled rule set bound to its tables. Thread-safe: evaluation keeps no state between claims."""

    def __init__(self, ruleset: RuleSet, tables: Any | None = None, show_phi: bool = False) -> None:
        self.ruleset = ruleset
        self.tables = tables if tables is not None else rt.MissingTables()
        self.show_phi = show_phi
        self.compiled = compile_rules(ruleset)
        self.source, self.keys, self.line_map = self.compiled.source, self.compiled.keys, self.compiled.line_map
        self.functions: list[Callable[..., Any]] = load_functions(self.source, self.compiled.consts, self.tables)
        self.inline = True  # unkeyed rules run inlined in the generated dispatcher (off while instrumented)
        self.rules = ruleset.rules
        self.eff: list[tuple[date | None, date | None] | None] = [
            (r.effective_from, r.effective_to) if r.effective_from or r.effective_to else None for r in self.rules]
        self._build_dispatch()

    def _calls(self) -> list[Callable[..., Any]]:
        """What dispatch calls: each compiled function, behind an effective-date check only for dated rules."""
        return [fn if window is None else _dated(fn, rule.scope, window)
                for rule, fn, window in zip(self.rules, self.functions, self.eff, strict=True)]

    def _build_dispatch(self) -> None:
        call = self.call = self._calls()
        self.skipped: dict[str, str] = {}
        self.line_ix, self.pair_a, self.pair_b, self.dx_ix = _Index(call), _Index(call), _Index(call), _Index(call)
        self.claim_code, self.claim_dx = _Index(call), _Index(call)
        self.claim_unkeyed: list[int] = []
        inline: dict[str, list[int]] = {"claim": [], "line": [], "pair": [], "diagnosis": []}
        for rule, key in zip(self.rules, self.keys, strict=True):
            missing = sorted(k for k in rule.tables if not self._has_table(k))
            if missing:
                self.skipped[rule.id] = f"needs table(s) not loaded: {', '.join(missing)}"
                continue
            o = rule.order
            if key is None and self.inline:
                inline[rule.scope].append(o)
            elif rule.scope == "line":
                self.line_ix.add(o, key)
            elif rule.scope == "diagnosis":
                self.dx_ix.add(o, key)
            elif rule.scope == "pair":  # unkeyed pair rules ride with the a-side index: entries(a.code)
                (self.pair_b if key is not None and key.var == "b" else self.pair_a).add(o, key)
            elif key is None:
                self.claim_unkeyed.append(o)
            else:
                (self.claim_code if key.kind == "claim_code" else self.claim_dx).add(o, key)
        self._claim_unkeyed = tuple((o, call[o]) for o in self.claim_unkeyed)
        self._claim_by_code, self._claim_by_dx = self.claim_code.keyed, self.claim_dx.keyed
        windows = {o: w for scope in inline.values() for o in scope if (w := self.eff[o]) is not None}
        self.plan = DispatchPlan(
            inline=inline, windows=windows,
            claim_calls=bool(self.claim_unkeyed or self._claim_by_code or self._claim_by_dx),
            line_calls=bool(self.line_ix.keyed or self.line_ix.unkeyed), modifier_calls=bool(self.line_ix.modifier),
            pair_a_calls=bool(self.pair_a), pair_b_calls=bool(self.pair_b), dx_calls=bool(self.dx_ix))
        self.dispatch_source, self.dispatch_map = dispatch_source(self.ruleset, self.compiled, self.plan)
        self._fire = load_dispatch(self.dispatch_source, self.compiled.consts, self.tables, _Entries(self), _active,
                                   windows)

    def instrument(self, wrap: Callable[[Rule, Callable[..., Any]], Callable[..., Any]]) -> None:
        """Replace each compiled function with `wrap(rule, fn)` (per-rule timing, call tracing); dispatch and
        effective dates are rebuilt around the wrapped functions, with no rule inlined."""
        self.functions = [wrap(rule, fn) for rule, fn in zip(self.rules, self.functions, strict=True)]
        self.inline = False
        self._build_dispatch()

    def claim_rules(self, claim: Claim) -> tuple[tuple[int, Callable[..., Any]], ...]:
        """The claim rules to call for this claim: unkeyed ones, and those keyed on a code the claim has."""
        by_code, by_dx = self._claim_by_code, self._claim_by_dx
        if not (by_code or by_dx):
            return self._claim_unkeyed
        groups = [self._claim_unkeyed] if self._claim_unkeyed else []
        if by_code:
            entries = self.claim_code.entries_keyed
            lines = claim.lines
            for code in (lines[0].code,) if len(lines) == 1 else {ln.code for ln in lines}:
                if g := entries(code):
                    groups.append(g)
        if by_dx:
            entries = self.claim_dx.entries_keyed
            for code in {d.code for d in claim.diagnoses}:
                if g := entries(code):
                    groups.append(g)
        if len(groups) == 1:
            return groups[0]
        if not groups:
            return ()
        return tuple(dict(e for g in groups for e in g).items())  # a rule keyed on several codes runs once

    def _has_table(self, kind: str) -> bool:
        try:
            return bool(self.tables.has(kind))
        except Exception:  # noqa: BLE001 - a broken table source means the table is not usable
            return False

    # ---- dispatch ------------------------------------------------------------------------------------------------

    def context(self, claim: Claim, as_of: date) -> rt.Context:
        return rt.Context(as_of, "hospital" if claim.type == "institutional" else "practitioner", claim.service_date)

    def active(self, order: int, on: date | None) -> bool:
        """Whether rule `order` is in effect on `on`."""
        window = self.eff[order]
        return window is None or _active(window, on)

    def fire(self, claim: Claim, X: rt.Context) -> list[tuple[int, Any]]:
        """(rule order, binding) of every rule that fires: None for a claim rule, the line, the (a, b) pair of
        lines, or the diagnosis. Runs the generated dispatcher (`dispatch_source`)."""
        try:
            return self._fire(claim, X)
        except Exception as exc:  # a rule failed at run time: report the rule and its YAML position
            raise self._runtime_error(exc) from exc

    def fire_candidates(self, claim: Claim, X: rt.Context) -> list[tuple[int, dict[str, Any]]]:
        """`fire` with each binding as the scope dict the interpreter takes ({"line": ...}, {"a": ..., "b": ...})."""
        return [(o, self.scope_of(o, binding)) for o, binding in self.fire(claim, X)]

    def scope_of(self, order: int, binding: Any) -> dict[str, Any]:
        names = SCOPE_NAMES[self.rules[order].scope]
        if not names:
            return {}
        if len(names) == 1:
            return {names[0]: binding}
        return dict(zip(names, binding, strict=True))

    def _runtime_error(self, exc: BaseException) -> RuleRuntimeError:
        tb = traceback.extract_tb(exc.__traceback__)
        for frame in reversed(tb):  # innermost first: a rule function, else an inlined rule in the dispatcher
            if frame.filename == FILENAME and frame.lineno in self.line_map:
                rule, pos = self.line_map[frame.lineno]
                return RuleRuntimeError(rule, pos, exc)
            if frame.filename == DISPATCH_FILENAME and frame.lineno in self.dispatch_map:
                rule, maybe_pos = self.dispatch_map[frame.lineno]
                return RuleRuntimeError(rule, maybe_pos, exc)
        t = exc.__traceback__
        while t is not None:  # a dated wrapper or the dispatcher's loop: the rule it was calling
            order = t.tb_frame.f_locals.get("order")
            if isinstance(order, int) and 0 <= order < len(self.rules):
                return RuleRuntimeError(self.rules[order], None, exc)
            t = t.tb_next
        return RuleRuntimeError(self.rules[0], None, exc)

    # ---- findings ------------------------------------------------------------------------------------------------

    def evaluate(self, claim: Claim, as_of: date) -> list[dict[str, Any]]:
        X = self.context(claim, as_of)
        hits = self.fire(claim, X)
        if not hits:
            return []
        interp = Interpreter(self.ruleset, self.tables, X)
        findings = [self.finding(self.rules[o], claim, self.scope_of(o, b), interp) for o, b in hits]
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
