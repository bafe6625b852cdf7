"""`claimscrub explain`: the full evaluation of one rule on one claim, for every line, pair or diagnosis it
could apply to, including why it did not fire (keyed out by the index, not in effect, table missing, or a
sub-condition that was false)."""

from __future__ import annotations

from datetime import date
from typing import Any

from .evaluator import Engine
from .explain import evidence, render_template, render_trace
from .interpreter import Interpreter
from .model import Claim

MAX_PAIRS = 60


def _line_label(line: Any) -> str:
    mods = f" {','.join(line.modifiers)}" if line.modifiers else ""
    return f"line {line.number} ({line.code}{mods}, units {line.units}, {line.service_date_from or 'no date'})"


def explain_rule(ruleset: Any, tables: Any, claim: Claim, rule_id: str, as_of: date, show_phi: bool = False) -> str:
    engine = Engine(ruleset, tables, show_phi)
    rule = ruleset.rule(rule_id)
    assert rule is not None
    key = engine.keys[rule.order]
    X = engine.context(claim, as_of)
    out = [
        f"rule {rule.id}: {rule.title}",
        f"  {rule.location} · pack {rule.pack.name} {rule.pack.version} · scope {rule.scope} · "
        f"{rule.category} · {rule.severity}",
        f"  when: {' '.join(rule.when.text.split())}",
        f"  index: {key.describe() if key else 'none (runs for every ' + rule.scope + ')'}",
    ]
    if rule.effective_from or rule.effective_to:
        out.append(f"  effective: {rule.effective_from or '-'} to {rule.effective_to or '-'} (by date of service)")
    out.append(f"claim {claim.claim_id}: {len(claim.lines)} line(s), {len(claim.diagnoses)} diagnosis(es), "
               f"date of service {claim.service_date}, as of {as_of}")
    if rule.id in engine.skipped:
        out.append(f"NOT RUN: {engine.skipped[rule.id]}")
        return "\n".join(out)
    interp = Interpreter(ruleset, engine.tables, X)
    candidates: list[tuple[str, dict[str, Any], str | None, Any]] = []
    if rule.scope == "claim":
        keyed_in = key is None or any(key.matches(c) for c in
                                      ([ln.code for ln in claim.lines] if key.kind == "claim_code"
                                       else [d.code for d in claim.diagnoses]))
        candidates.append(("the claim", {}, None if keyed_in else "no code on the claim matches the index", X.dos))
    elif rule.scope == "line":
        for ln in claim.lines:
            miss = None
            if key is not None:
                ok = key.matches(ln.code) if key.kind == "code" else any(m in key.exact for m in ln.modifiers)
                miss = None if ok else f"the index skips it: {key.describe()}"
            candidates.append((_line_label(ln), {"line": ln}, miss, ln.service_date_from))
    elif rule.scope == "pair":
        for a in claim.lines:
            for b in claim.lines:
                if a is b:
                    continue
                miss = None
                if key is not None:
                    item = a if key.var == "a" else b
                    miss = None if key.matches(item.code) else f"the index skips it: {key.describe()}"
                candidates.append((f"a = line {a.number} ({a.code}), b = line {b.number} ({b.code})",
                                   {"a": a, "b": b}, miss, a.service_date_from))
    else:
        for d in claim.diagnoses:
            miss = None if key is None or key.matches(d.code) else f"the index skips it: {key.describe()}"
            candidates.append((f"diagnosis {d.position} ({d.code})", {"dx": d}, miss, X.dos))
    if not candidates:
        out.append(f"nothing to evaluate: the claim has no {'lines' if rule.scope != 'diagnosis' else 'diagnoses'}")
    shown = 0
    for label, scope, miss, on in candidates:
        if shown >= MAX_PAIRS:
            out.append(f"... {len(candidates) - shown} more not shown")
            break
        shown += 1
        out.append("")
        if not engine.active(rule.order, on):
            out.append(f"{label}: NOT IN EFFECT on {on}")
            continue
        fired, env, trace = interp.run(rule, claim, scope)
        verdict = "FIRES" if fired and miss is None else "does not fire"
        out.append(f"{label}: {verdict}" + (f" ({miss})" if miss else ""))
        out.extend("  " + ln for ln in render_trace(rule, trace, show_phi))
        if fired:
            out.append(f"  message: {render_template(rule.message, interp, env, show_phi)}")
            if rule.fix:
                out.append(f"  fix: {render_template(rule.fix, interp, env, show_phi)}")
            ev = evidence(rule, env, trace, [], show_phi)
            for t in ev.get("tables", []):
                out.append(f"  table: {t}")
    return "\n".join(out)
