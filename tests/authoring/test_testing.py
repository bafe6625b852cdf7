"""`claimscrub test`: examples, case files, diffs, JUnit XML and coverage on purpose-made packs."""

from __future__ import annotations

import json
from pathlib import Path
from xml.etree import ElementTree as ET

from claimscrub.authoring.testing import compare, discover
from claimscrub.cli.main import app
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_discover_splits_packs_and_cases() -> None:
    found = discover([DATA / "good"])
    assert [p.name for p in found.rule_paths] == ["good.yaml"]
    assert [p.name for p in found.case_files] == ["cases.yaml"]
    found = discover([DATA / "failing"])
    assert [p.name for p in found.rule_paths] == ["pack.yaml"]
    assert [p.name for p in found.case_files] == ["cases.json"]


def test_good_pack_passes_with_full_coverage(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    res = runner.invoke(app, ["test", str(DATA / "good"), "--coverage", "--junit", str(junit)])
    assert res.exit_code == 0, res.output
    assert "examples: 4 passed, 0 failed; cases: 2 passed, 0 failed" in res.output
    assert "never exercised (0/2): -" in res.output
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "6" and root.get("failures") == "0"
    assert [s.get("name") for s in root] == ["examples.test.good",
                                             "cases.tests/authoring/data/good/tests/cases/cases.yaml"]


def test_failing_pack_reports_diffs_and_exits_1(tmp_path: Path) -> None:
    junit = tmp_path / "j.xml"
    res = runner.invoke(app, ["test", str(DATA / "failing"), "--coverage", "--junit", str(junit)])
    assert res.exit_code == 1
    lines = res.output.splitlines()
    assert any(line.startswith("FAIL example UNITS-HIGH[0] fires") and line.endswith("did not fire")
               for line in lines)
    i = lines.index("FAIL case tests/authoring/data/failing/cases.json#0 wrong line: expected and actual findings differ")
    assert lines[i + 1:i + 5] == ["       --- expected", "       +++ actual", "       - UNITS-HIGH lines [2]",
                                  "       + UNITS-HIGH lines [1]: Line 1: 9 units"]
    assert "       + UNITS-HIGH lines [1]: Line 1: 9 units   (expect_none)" in lines
    assert "examples: 1 passed, 1 failed; cases: 0 passed, 2 failed" in lines
    assert "  never exercised (1/2): NEVER-TESTED" in lines
    assert "  never fired (1/2): NEVER-TESTED" in lines
    root = ET.parse(junit).getroot()
    assert root.get("tests") == "4" and root.get("failures") == "3"
    failures = [tc.get("name") for tc in root.iter("testcase") if tc.find("failure") is not None]
    assert failures == ["0 fires", "0 wrong line", "1 forbidden fires"]


def test_json_format() -> None:
    res = runner.invoke(app, ["test", str(DATA / "failing"), "--format", "json", "--coverage"])
    doc = json.loads(res.output)
    assert doc["failed"] == 3 and doc["total"] == 4
    assert doc["coverage"]["never_exercised"] == ["NEVER-TESTED"]
    assert doc["cases"][0]["diff"] == ["- UNITS-HIGH lines [2]", "+ UNITS-HIGH lines [1]: Line 1: 9 units"]


def test_compare_exact_and_message() -> None:
    f1 = {"rule_id": "A", "lines": [1], "message": "Line 1: hello"}
    f2 = {"rule_id": "B", "lines": [2], "message": "other"}
    assert compare({"expect": [{"rule": "A", "message": "hello"}]}, [f1, f2]) == (
        True, ["  A lines [1]: Line 1: hello"])
    assert compare({"expect": ["A"], "exact": True}, [f1, f2]) == (
        False, ["  A lines [1]: Line 1: hello", "+ B lines [2]: other   (exact)"])
    assert compare({"expect": [{"rule": "A", "message": "bye"}]}, [f1]) == (
        False, ["- A message ~ 'bye'", "+ A lines [1]: Line 1: hello"])


def test_unknown_rule_in_case_fails(tmp_path: Path) -> None:
    case = tmp_path / "c.yaml"
    case.write_text("cases:\n  - name: typo\n    claim: {}\n    expect: [{rule: MOD-59-Y}]\n")
    res = runner.invoke(app, ["test", str(DATA / "good" / "good.yaml"), str(case)])
    assert res.exit_code == 1
    assert "unknown rule id(s) in expectations: MOD-59-Y" in res.output


def test_shipped_packs_pass() -> None:
    res = runner.invoke(app, ["test", "--coverage"])
    assert res.exit_code == 0, res.output
    assert "0 failed" in res.output
