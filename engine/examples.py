"""Run the examples embedded in rules: each `fires:` claim must make its rule fire, each `passes:` must not.

An example claim may omit any field (a claim id and defaults are filled in); it may carry `tables:` rows for
table-backed rules, `params:`, `as_of:`, and for firing examples the `lines:` and `message:` text it expects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import ValidationError

from .evaluator import Engine, RuleRuntimeError
from .inputs.base import validation_message
from .model import Claim
from .ruleset import Rule, RuleSet

EXAMPLE_AS_OF = date(2026, 1, 15)


@dataclass
class ExampleResult:
    rule: Rule
    index: int
    kind: str  # fires / passes
    ok: bool
    detail: str
    location: str

    @property
    def name(self) -> str:
        return f"{self.rule.id}[{self.index}] {self.kind}"


def _memory_tables(rows: dict[str, Any] | None) -> Any:
    """Example tables: the rows the example gives, with ICD-10-CM from the packaged release behind them."""
    from .tables.memory import MemoryTables

    return MemoryTables.from_rows(rows or {})


def _single_rule_set(ruleset: RuleSet, rule: Rule) -> RuleSet:
    """A rule set holding just this rule, so an example tests its rule and nothing else."""
    import copy

    pack = copy.copy(rule.pack)
    pack.rules = [rule]
    return RuleSet(ruleset.name, ruleset.version, [pack], dict(ruleset.params))


def run_example(ruleset: RuleSet, rule: Rule, index: int, example: dict[str, Any]) -> ExampleResult:
    kind = "fires" if "fires" in example else "passes"
    doc = rule.pack.doc
    rule_idx = next(i for i, r in enumerate(doc.data["rules"]) if r is rule.raw)
    location = str(doc.position(("rules", rule_idx, "examples", index)))
    data = dict(example[kind] or {})
    data.setdefault("claim_id", f"example-{rule.id}-{index}")
    try:
        claim = Claim.model_validate(data)
    except ValidationError as exc:
        msg, ptr = validation_message(exc)
        return ExampleResult(rule, index, kind, False, f"example claim is invalid at {ptr or '/'}: {msg}", location)
    single = _single_rule_set(ruleset, rule)
    for key, value in (example.get("params") or {}).items():
        from .api import set_param

        set_param(single, key, value)
    as_of = date.fromisoformat(str(example["as_of"])) if example.get("as_of") else EXAMPLE_AS_OF
    try:
        engine = Engine(single, _memory_tables(example.get("tables")))
    except (ValueError, KeyError, TypeError) as exc:
        return ExampleResult(rule, index, kind, False, f"example tables are invalid: {exc}", location)
    if rule.id in engine.skipped:
        return ExampleResult(rule, index, kind, False, f"rule was skipped: {engine.skipped[rule.id]} (add `tables:` "
                             "rows to the example)", location)
    try:
        findings = engine.evaluate(claim, as_of)
    except RuleRuntimeError as exc:
        return ExampleResult(rule, index, kind, False, str(exc), location)
    if kind == "passes":
        if findings:
            return ExampleResult(rule, index, kind, False, f"fired but should pass: {findings[0]['message']}",
                                 location)
        return ExampleResult(rule, index, kind, True, "passes", location)
    if not findings:
        return ExampleResult(rule, index, kind, False, "did not fire", location)
    want_lines = example.get("lines")
    if want_lines is not None and not any(f["lines"] == want_lines for f in findings):
        got = [f["lines"] for f in findings]
        return ExampleResult(rule, index, kind, False, f"fired on lines {got}, expected {want_lines}", location)
    want_msg = example.get("message")
    if want_msg is not None and not any(want_msg in f["message"] for f in findings):
        return ExampleResult(rule, index, kind, False,
                             f"message {findings[0]['message']!r} does not contain {want_msg!r}", location)
    return ExampleResult(rule, index, kind, True, findings[0]["message"], location)


def run_examples(ruleset: RuleSet, rule_ids: set[str] | None = None) -> list[ExampleResult]:
    out: list[ExampleResult] = []
    for rule in ruleset.rules:
        if rule_ids and rule.id not in rule_ids:
            continue
        for i, ex in enumerate(rule.examples):
            out.append(run_example(ruleset, rule, i, ex))
    return out
