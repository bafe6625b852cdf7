"""The hand-written baseline: the benchmark rules as plain Python checks behind a code-keyed index.

This is what a careful programmer would write without a rules engine: a dict from procedure (or diagnosis)
code to the list of check functions keyed on it, each check a small closure that no longer tests the key
code (the index already did). It is the practical speed limit for pure Python, and the yardstick for the
compiled rules. Rule specs come from `compare.make_specs`; semantics match the YAML the same specs produce.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from decimal import Decimal
from typing import Any

Check = Callable[..., bool]


def _check(spec: dict[str, Any], tables: Any) -> tuple[str, str, Check]:
    """(scope, key code, check) for one rule spec."""
    kind = spec["kind"]
    if kind == "line_units":
        k = Decimal(spec["k"])
        return "line", spec["code"], lambda claim, line: line.units > k
    if kind == "line_mod":
        m = spec["mod"]
        return "line", spec["code"], lambda claim, line: m in line.modifiers
    if kind == "claim":
        amt = Decimal(spec["amount"])
        return "claim", spec["code"], lambda claim: claim.total_charge is not None and claim.total_charge > amt
    if kind == "pair":
        c2, bypass = spec["code2"], frozenset(spec["bypass"])
        return "pair", spec["code"], lambda claim, a, b: b.code == c2 and bypass.isdisjoint(b.modifiers)
    if kind == "dx_line":
        need = frozenset(spec["dx"])
        return "line", spec["code"], lambda claim, line: not any(d.code in need for d in line.diagnoses)
    if kind == "dx_claim":
        c = spec["proc"]
        return "dx", spec["code"], lambda claim, dx: any(ln.code == c for ln in claim.lines)
    if kind == "table_mue":
        mue = tables.mue

        def check(claim: Any, line: Any) -> bool:
            hit = mue(line.code, line.service_date_from, "practitioner")
            return hit is not None and line.units > hit.value
        return "line", spec["code"], check
    raise ValueError(kind)


class Handwritten:
    """dict code -> [(rule index, check)] per scope; `fire(claim)` returns (rule index, binding) pairs."""

    def __init__(self, specs: list[dict[str, Any]], tables: Any) -> None:
        self.line: dict[str, list[tuple[int, Check]]] = defaultdict(list)
        self.claim: dict[str, list[tuple[int, Check]]] = defaultdict(list)
        self.pair: dict[str, list[tuple[int, Check]]] = defaultdict(list)
        self.dx: dict[str, list[tuple[int, Check]]] = defaultdict(list)
        self.ptp_rule: int | None = None
        self.mue_rule: int | None = None
        self.tables = tables
        for i, spec in enumerate(specs):
            if spec["kind"] == "table_ptp":
                self.ptp_rule = i
                continue
            if spec["kind"] == "table_mue_all":
                self.mue_rule = i
                continue
            scope, code, check = _check(spec, tables)
            getattr(self, scope)[code].append((i, check))
        self.line, self.claim, self.pair, self.dx = dict(self.line), dict(self.claim), dict(self.pair), dict(self.dx)

    def fire(self, claim: Any) -> list[tuple[int, Any]]:
        hits: list[tuple[int, Any]] = []
        lines = claim.lines
        claim_ix = self.claim
        for code in {ln.code for ln in lines}:
            for i, check in claim_ix.get(code, ()):
                if check(claim):
                    hits.append((i, None))
        line_ix = self.line
        mue_rule = self.mue_rule
        for line in lines:
            for i, check in line_ix.get(line.code, ()):
                if check(claim, line):
                    hits.append((i, line))
            if mue_rule is not None:
                hit = self.tables.mue(line.code, line.service_date_from, "practitioner")
                if hit is not None and line.units > hit.value:
                    hits.append((mue_rule, line))
        pair_ix = self.pair
        ptp_rule = self.ptp_rule
        if len(lines) > 1:
            ptp = self.tables.ptp if ptp_rule is not None else None
            for a in lines:
                rules = pair_ix.get(a.code)
                for b in lines:
                    if b is a:
                        continue
                    if rules:
                        for i, check in rules:
                            if check(claim, a, b):
                                hits.append((i, (a, b)))
                    if ptp is not None and ptp(a.code, b.code, a.service_date_from, "practitioner") is not None:
                        hits.append((ptp_rule, (a, b)))
        dx_ix = self.dx
        for d in claim.diagnoses:
            for i, check in dx_ix.get(d.code, ()):
                if check(claim, d):
                    hits.append((i, d))
        return hits
