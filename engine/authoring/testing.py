"""`claimscrub test`: every rule's embedded examples plus test-case files, a pass/fail report with expected vs
actual diffs, JUnit XML and rule coverage.

A test-case file is YAML or JSON with a top-level `cases:` list (or just the list):

    cases:
      - name: 59 with XS on the same line
        claim: {lines: [{code: "97140", modifiers: ["59", "XS"]}]}
        as_of: 2026-03-01            # processing date (default 2026-01-15, as for examples)
        payer: medicare-part-b       # optional: scrub through this payer profile
        params: {core.filing.timely_filing_days: 90}
        tables: {mue: [{code: "97140", value: 4, mai: 3}]}
        expect:                      # each must match one finding (rule; lines and message text optional)
          - {rule: MOD-59-WITH-X, lines: [1], message: "59"}
        expect_none: [MOD-DUPLICATE] # these rules must not fire
        exact: false                 # true: any other finding is a failure too

Files are found by content (a top-level `cases:` key or list), so a directory argument may hold both rule packs
and cases; `tests/cases/` and `cases/` under a rules directory are searched too.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import yaml

from ..api import RULESET_MANIFEST, load_ruleset
from ..examples import EXAMPLE_AS_OF, ExampleResult, run_examples
from ..ruleset import RuleSet

CASE_DIRS = ("tests/cases", "cases")
CASE_SUFFIXES = (".yaml", ".yml", ".json")


class CaseFileError(Exception):
    pass


@dataclass
class Discovered:
    rule_paths: list[Path] = field(default_factory=list)
    case_files: list[Path] = field(default_factory=list)


def _is_case_file(path: Path) -> bool:
    try:
        text = path.read_text(encoding="utf-8")
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (OSError, ValueError, yaml.YAMLError):
        return False
    return isinstance(data, list) or (isinstance(data, dict) and "cases" in data and "rules" not in data)


def discover(paths: Iterable[Path]) -> Discovered:
    """Split arguments into rule packs and case files; a directory contributes both."""
    found = Discovered()
    for p in paths:
        if p.is_dir():
            for f in sorted(x for x in p.iterdir() if x.suffix in CASE_SUFFIXES and x.name != RULESET_MANIFEST):
                (found.case_files if _is_case_file(f) else found.rule_paths).append(f)
            for sub in CASE_DIRS:
                d = p / sub
                if d.is_dir():
                    found.case_files.extend(sorted(x for x in d.rglob("*") if x.suffix in CASE_SUFFIXES))
        elif _is_case_file(p):
            found.case_files.append(p)
        else:
            found.rule_paths.append(p)
    found.case_files = list(dict.fromkeys(found.case_files))
    return found


@dataclass
class CaseResult:
    file: str
    index: int
    name: str
    ok: bool
    detail: str = ""
    diff: list[str] = field(default_factory=list)
    fired: set[str] = field(default_factory=set)  # rules that produced a finding
    passed: set[str] = field(default_factory=set)  # rules asserted not to fire that did not
    mentioned: set[str] = field(default_factory=set)
    seconds: float = 0.0

    @property
    def label(self) -> str:
        return f"{self.file}#{self.index} {self.name}"


def load_cases(path: Path) -> list[dict[str, Any]]:
    text = path.read_text(encoding="utf-8")
    try:
        data = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as exc:
        raise CaseFileError(f"{path}: cannot parse: {exc}") from None
    cases = data.get("cases") if isinstance(data, dict) else data
    if not isinstance(cases, list) or not all(isinstance(c, dict) for c in cases):
        raise CaseFileError(f"{path}: `cases:` must be a list of mappings")
    return cases


def _describe_expect(e: dict[str, Any]) -> str:
    text = str(e.get("rule"))
    if e.get("lines") is not None:
        text += f" lines {e['lines']}"
    if e.get("message") is not None:
        text += f" message ~ {e['message']!r}"
    return text


def _describe_finding(f: dict[str, Any]) -> str:
    return f"{f['rule_id']} lines {f['lines']}: {f['message']}"


def _matches(e: dict[str, Any], f: dict[str, Any]) -> bool:
    if f["rule_id"] != e.get("rule"):
        return False
    if e.get("lines") is not None and f["lines"] != list(e["lines"]):
        return False
    return e.get("message") is None or str(e["message"]) in f["message"]


def compare(case: dict[str, Any], findings: list[dict[str, Any]]) -> tuple[bool, list[str]]:
    """Match expectations to findings; returns ok and a diff (' ' matched, '-' expected only, '+' actual only)."""
    expects = [e if isinstance(e, dict) else {"rule": e} for e in case.get("expect") or []]
    forbidden = set(case.get("expect_none") or [])
    unmatched = list(findings)
    diff: list[str] = []
    ok = True
    for e in expects:
        hit = next((f for f in unmatched if _matches(e, f)), None)
        if hit is None:
            ok = False
            diff.append("- " + _describe_expect(e))
        else:
            unmatched.remove(hit)
            diff.append("  " + _describe_finding(hit))
    wanted = {e.get("rule") for e in expects}
    for f in unmatched:
        if f["rule_id"] in forbidden:
            ok = False
            diff.append("+ " + _describe_finding(f) + "   (expect_none)")
        elif case.get("exact"):
            ok = False
            diff.append("+ " + _describe_finding(f) + "   (exact)")
        elif f["rule_id"] in wanted:
            diff.append("+ " + _describe_finding(f))
    return ok, diff


class CaseRunner:
    def __init__(self, ruleset: RuleSet, rule_paths: list[Path] | None, payers: Path | None = None) -> None:
        self.ruleset = ruleset
        self.rule_paths = rule_paths
        self.payers = payers
        self._registry: Any = None

    def _scrubber(self, case: dict[str, Any], as_of: date) -> Any:
        from ..api import Scrubber, set_param
        from ..examples import _memory_tables

        tables = _memory_tables(case.get("tables"))
        params = dict(case.get("params") or {})
        if case.get("payer"):
            from ..payer_profiles import PayerScrubber, load_registry

            if self._registry is None:
                self._registry = load_registry(self.payers, self.rule_paths or None)
            return PayerScrubber(self._registry, tables, as_of, False, str(case["payer"]), params)
        rs = RuleSet(self.ruleset.name, self.ruleset.version, self.ruleset.packs, dict(self.ruleset.params))
        for k, v in params.items():
            set_param(rs, k, v)
        return Scrubber(rs, tables, as_of)

    def run(self, file: str, index: int, case: dict[str, Any]) -> CaseResult:
        from pydantic import ValidationError

        from ..inputs import InputItem
        from ..inputs.base import validation_message
        from ..model import Claim

        start = time.perf_counter()
        name = str(case.get("name") or f"case {index}")
        res = CaseResult(file, index, name, False)
        res.mentioned = {str(e.get("rule") if isinstance(e, dict) else e) for e in case.get("expect") or []}
        res.mentioned |= {str(r) for r in case.get("expect_none") or []}
        unknown = sorted(r for r in res.mentioned if self.ruleset.rule(r) is None and not case.get("payer"))
        if unknown:
            res.detail = f"unknown rule id(s) in expectations: {', '.join(unknown)}"
            return res
        data = dict(case.get("claim") or {})
        data.setdefault("claim_id", f"case-{Path(file).stem}-{index}")
        try:
            claim = Claim.model_validate(data)
            as_of = date.fromisoformat(str(case["as_of"])) if case.get("as_of") else EXAMPLE_AS_OF
            scrubber = self._scrubber(case, as_of)
        except ValidationError as exc:
            msg, ptr = validation_message(exc)
            res.detail = f"claim is invalid at {ptr or '/'}: {msg}"
            return res
        except (ValueError, KeyError, TypeError) as exc:
            res.detail = f"case setup failed: {exc}"
            return res
        result = scrubber.scrub_item(InputItem(claim, {"file": file, "index": index}))
        res.seconds = time.perf_counter() - start
        if result["status"] == "error":
            res.detail = f"scrub error: {result['error']['message']}"
            return res
        findings = result["findings"]
        res.fired = {f["rule_id"] for f in findings}
        res.passed = {r for r in case.get("expect_none") or [] if r not in res.fired}
        res.ok, res.diff = compare(case, findings)
        res.detail = "ok" if res.ok else "expected and actual findings differ"
        return res


@dataclass
class Coverage:
    never_exercised: list[str]
    never_fired: list[str]
    never_passed: list[str]
    total: int

    def as_dict(self) -> dict[str, Any]:
        return {"rules": self.total, "never_exercised": self.never_exercised, "never_fired": self.never_fired,
                "never_passed": self.never_passed}


def coverage(ruleset: RuleSet, examples: list[ExampleResult], cases: list[CaseResult]) -> Coverage:
    fired: set[str] = set()
    passed: set[str] = set()
    touched: set[str] = set()
    for ex in examples:
        touched.add(ex.rule.id)
        if ex.ok:
            (fired if ex.kind == "fires" else passed).add(ex.rule.id)
    for c in cases:
        touched |= c.mentioned | c.fired
        fired |= c.fired
        passed |= c.passed
    ids = [r.id for r in ruleset.rules]
    return Coverage([i for i in ids if i not in touched], [i for i in ids if i not in fired],
                    [i for i in ids if i not in passed], len(ids))


@dataclass
class TestRun:
    ruleset: RuleSet
    examples: list[ExampleResult]
    cases: list[CaseResult]
    errors: list[str]

    @property
    def failed(self) -> int:
        return sum(not e.ok for e in self.examples) + sum(not c.ok for c in self.cases) + len(self.errors)

    @property
    def total(self) -> int:
        return len(self.examples) + len(self.cases)


def run_tests(paths: list[Path] | None, payers: Path | None = None, rule_ids: set[str] | None = None) -> TestRun:
    """Load the rule set (shipped rules when no pack is given), run its examples and every case file."""
    found = discover(paths or [])
    rule_paths = found.rule_paths or None
    ruleset = load_ruleset(rule_paths)
    if not paths or not found.rule_paths:  # the shipped rules' own cases
        from ..api import default_rules_path

        found.case_files.extend(f for f in discover([default_rules_path()]).case_files if f not in found.case_files)
    examples = run_examples(ruleset, rule_ids)
    runner = CaseRunner(ruleset, rule_paths, payers)
    cases: list[CaseResult] = []
    errors: list[str] = []
    for f in found.case_files:
        try:
            items = load_cases(f)
        except (CaseFileError, OSError) as exc:
            errors.append(str(exc))
            continue
        for i, case in enumerate(items):
            if rule_ids and not (rule_ids & {str(e.get("rule") if isinstance(e, dict) else e)
                                             for e in case.get("expect") or []} | set(case.get("expect_none") or [])):
                continue
            cases.append(runner.run(_display(f), i, case))
    return TestRun(ruleset, examples, cases, errors)


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def junit_xml(run: TestRun) -> str:
    """JUnit XML: one suite per rule pack (its examples) and one per case file."""
    root = ET.Element("testsuites", name="claimscrub", tests=str(run.total), failures=str(run.failed))
    suites: dict[str, ET.Element] = {}

    def suite(name: str) -> ET.Element:
        if name not in suites:
            suites[name] = ET.SubElement(root, "testsuite", name=name, tests="0", failures="0")
        return suites[name]

    def add(s: ET.Element, classname: str, name: str, ok: bool, message: str, body: str, seconds: float) -> None:
        tc = ET.SubElement(s, "testcase", classname=classname, name=name, time=f"{seconds:.4f}")
        s.set("tests", str(int(s.get("tests", "0")) + 1))
        if not ok:
            fail = ET.SubElement(tc, "failure", message=message)
            fail.text = body
            s.set("failures", str(int(s.get("failures", "0")) + 1))

    for ex in run.examples:
        add(suite(f"examples.{ex.rule.pack.name}"), ex.rule.id, f"{ex.index} {ex.kind}", ex.ok, ex.detail,
            f"{ex.location}: {ex.detail}", 0.0)
    for c in run.cases:
        add(suite(f"cases.{c.file}"), c.file, f"{c.index} {c.name}", c.ok, c.detail,
            "\n".join(["--- expected", "+++ actual", *c.diff]) if c.diff else c.detail, c.seconds)
    for e in run.errors:
        add(suite("errors"), "claimscrub", e, False, e, e, 0.0)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def report_lines(run: TestRun, verbose: bool = False) -> list[str]:
    """Plain-text report: failures (with diffs) always, passes when verbose, then the totals."""
    out: list[str] = []
    for ex in run.examples:
        if not ex.ok or verbose:
            out.append(f"{'PASS' if ex.ok else 'FAIL'} example {ex.name}  {ex.location}: {ex.detail}")
    for c in run.cases:
        if not c.ok or verbose:
            out.append(f"{'PASS' if c.ok else 'FAIL'} case {c.label}: {c.detail}")
            if not c.ok and c.diff:
                out.extend("       " + line for line in ["--- expected", "+++ actual", *c.diff])
    for e in run.errors:
        out.append(f"ERROR {e}")
    ex_failed = sum(not e.ok for e in run.examples)
    case_failed = sum(not c.ok for c in run.cases)
    out.append(f"examples: {len(run.examples) - ex_failed} passed, {ex_failed} failed; "
               f"cases: {len(run.cases) - case_failed} passed, {case_failed} failed"
               + (f"; {len(run.errors)} file error(s)" if run.errors else ""))
    return out


def coverage_lines(cov: Coverage) -> list[str]:
    def fmt(title: str, ids: list[str]) -> str:
        return f"{title} ({len(ids)}/{cov.total}): {', '.join(ids) if ids else '-'}"

    return ["coverage:", "  " + fmt("never exercised", cov.never_exercised), "  " + fmt("never fired", cov.never_fired),
            "  " + fmt("never passed", cov.never_passed)]

