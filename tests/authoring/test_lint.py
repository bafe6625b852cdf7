"""`claimscrub rules lint` on a purpose-made bad pack (exact diagnostics) and on the good and shipped packs."""

from __future__ import annotations

import json
from pathlib import Path

from claimscrub.api import check_files
from claimscrub.authoring.lint import lint_packs, truth
from claimscrub.cli.main import app
from claimscrub.dsl.parser import parse
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data"
runner = CliRunner()

EXPECTED = [
    (4, 3, "warning", "L022", "parameter unused_limit is never used"),
    (7, 3, "warning", "L020", "named set NEVER_USED is never used"),
    (10, 3, "warning", "L021", "predicate orphan is never used"),
    (19, 5, "error", "L001", "rule NO-SOURCE has no source"),
    (25, 11, "error", "L010", "the condition of EMPTY-SET can never be true"),
    (33, 11, "error", "L010", "the condition of TWO-CODES can never be true"),
    (41, 11, "error", "L010", "the condition of NEG-COUNT can never be true"),
    (49, 11, "error", "L011", "the condition of ALWAYS is always true"),
    (65, 11, "error", "L004", "DUP-B has the same condition as DUP-A (tests/authoring/data/lint/bad.yaml:52:9) "
     "once normalized"),
    (73, 11, "warning", "L005", "NARROW is a narrower copy of DUP-A (tests/authoring/data/lint/bad.yaml:52:9): "
     "whenever NARROW fires, DUP-A fires too"),
    (73, 11, "warning", "L005", "NARROW is a narrower copy of DUP-B (tests/authoring/data/lint/bad.yaml:60:9): "
     "whenever NARROW fires, DUP-B fires too"),
    (81, 11, "warning", "L030", "line.service_date_from is deprecated in conditions: use line.date"),
    (89, 30, "warning", "L012", "constant sub-condition in CONST-PART (always true)"),
]


def _lint(path: Path) -> list[tuple[int, int, str, str, str]]:
    packs, diags = check_files([path])
    assert not diags
    return [(d.position.line, d.position.col, d.severity, d.code, d.message)  # type: ignore[union-attr]
            for d in lint_packs(packs).diagnostics]


def test_bad_pack_exact_diagnostics() -> None:
    got = _lint(DATA / "lint" / "bad.yaml")
    assert [g for g in got if g[3] not in ("L002", "L003")] == EXPECTED
    missing = sorted((g[0], g[3]) for g in got if g[3] in ("L002", "L003"))
    rules_without = [12, 20, 28, 36, 44, 52, 60, 68, 76]  # every rule but CONST-PART
    assert missing == sorted([(line, "L002") for line in rules_without] + [(line, "L003") for line in rules_without])


def test_good_pack_is_clean() -> None:
    assert _lint(DATA / "good" / "good.yaml") == []


def test_cli_exit_codes_and_json() -> None:
    res = runner.invoke(app, ["rules", "lint", str(DATA / "lint" / "bad.yaml")])
    assert res.exit_code == 1
    assert "1 pack(s), 10 rules: 6 error(s), 25 warning(s)" in res.output
    assert "tests/authoring/data/lint/bad.yaml:33:11: error[L010]" in res.output
    res = runner.invoke(app, ["rules", "lint", str(DATA / "lint" / "bad.yaml"), "--format", "json"])
    doc = json.loads(res.output)
    assert doc["errors"] == 6 and doc["warnings"] == 25
    first = doc["diagnostics"][0]
    assert first == {"code": "L022", "severity": "warning", "message": "parameter unused_limit is never used",
                     "file": "tests/authoring/data/lint/bad.yaml", "line": 4, "col": 3,
                     "hint": "remove it or read it as param.unused_limit"}
    res = runner.invoke(app, ["rules", "lint", str(DATA / "good")])
    assert res.exit_code == 0 and "0 error(s), 0 warning(s)" in res.output


def test_shipped_packs_have_no_lint_errors() -> None:
    res = runner.invoke(app, ["rules", "lint"])
    assert res.exit_code == 0, res.output


def test_truth_table() -> None:
    cases = {
        'line.code in {}': False, 'line.code not in {}': True, '1 == 1': True, '"a" == "b"': False,
        'len(line.modifiers) < 0': False, 'len(line.modifiers) >= 0': True, 'count(l in lines) == -1': False,
        'line.code == "A" and line.code != "A"': False, 'line.units > 1 or not line.units > 1': True,
        'line.units between 5 and 1': False, 'line has any modifier in {}': False, 'line.units > 1': None,
        'line.code == "A" or line.code == "B"': None, 'not false': True,
    }
    assert {text: truth(parse(text)) for text in cases} == cases
