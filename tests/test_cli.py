"""The command line, end to end: exit codes, the output contract, explain, rules check/compile, schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from claimscrub.cli.main import app
from typer.testing import CliRunner

runner = CliRunner()
AS_OF = "2026-11-24"

PACK = """\
pack: {name: test.cli, version: "1"}
rules:
  - id: MOD-59-X
    title: Modifier 59 with an X modifier
    category: modifier.conflict
    severity: error
    scope: line
    when: line has modifier "59" and line has any modifier in {"XE", "XS", "XP", "XU"}
    message: "Line {line.number}: 59 and {line.modifiers}"
    fix: "Drop 59 on line {line.number}"
    denial: {group: CO, carc: "4"}
    source: "CMS MLN1783722"
  - id: UNITS-HIGH
    title: Many units
    category: payer.custom
    severity: warning
    scope: line
    when: line.units > 4
    message: "Line {line.number}: {line.units} units"
    source: "test policy"
"""


@pytest.fixture()
def pack(tmp_path: Path) -> Path:
    p = tmp_path / "pack.yaml"
    p.write_text(PACK)
    return p


def _claims(tmp_path: Path, claims: list[dict]) -> Path:
    p = tmp_path / "claims.json"
    p.write_text(json.dumps(claims))
    return p


CLEAN = {"claim_id": "C-CLEAN", "lines": [{"code": "99213", "units": 1}]}
MOD = {"claim_id": "C-MOD", "lines": [{"code": "97140", "modifiers": ["59", "XS"]}]}
WARN = {"claim_id": "C-WARN", "lines": [{"code": "97110", "units": 6}]}


def test_json_output_contract(tmp_path: Path, pack: Path) -> None:
    f = _claims(tmp_path, [CLEAN, MOD, {"claim_id": "BAD", "lines": [{"code": "1", "units": "x"}]}])
    r = runner.invoke(app, ["scrub", str(f), "-r", str(pack), "--format", "json", "--as-of", AS_OF])
    assert r.exit_code == 1, r.output
    doc = json.loads(r.stdout)
    assert set(doc) >= {"engine", "ruleset", "results", "summary"}
    assert set(doc["ruleset"]) >= {"name", "version", "sha256"} and len(doc["ruleset"]["sha256"]) == 64
    statuses = [(x["claim_id"], x["status"]) for x in doc["results"]]
    assert statuses == [("C-CLEAN", "clean"), ("C-MOD", "findings"), ("BAD", "error")]
    finding = doc["results"][1]["findings"][0]
    for key in ("rule_id", "title", "category", "severity", "message", "lines", "codes", "evidence", "fix",
                "denial", "source"):
        assert key in finding
    assert finding["lines"] == [1] and finding["codes"] == ["97140"]
    assert finding["denial"] == {"group": "CO", "carc": "4", "rarc": []}
    assert doc["results"][2]["error"]["location"].endswith("claims.json#/2/lines/0/units")
    assert doc["summary"] == {"claims": 3, "clean": 1, "with_findings": 1, "errors": 1, "findings": 1,
                              "by_category": {"modifier.conflict": 1}, "by_severity": {"error": 1}}


def test_exit_codes_follow_fail_on(tmp_path: Path, pack: Path) -> None:
    warn = _claims(tmp_path, [WARN])
    base = ["scrub", str(warn), "-r", str(pack), "--as-of", AS_OF]
    assert runner.invoke(app, base).exit_code == 0  # default --fail-on error; only a warning
    assert runner.invoke(app, [*base, "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(app, [*base, "--fail-on", "never", "--format", "json"]).exit_code == 0
    assert runner.invoke(app, ["scrub", str(tmp_path / "missing.json"), "-r", str(pack)]).exit_code == 2
    assert runner.invoke(app, [*base, "--as-of", "24/11/2026"]).exit_code == 2


def test_ndjson_is_one_result_per_line(tmp_path: Path, pack: Path) -> None:
    f = _claims(tmp_path, [CLEAN, MOD, WARN])
    r = runner.invoke(app, ["scrub", str(f), "-r", str(pack), "--format", "ndjson", "--as-of", AS_OF,
                            "--fail-on", "never"])
    rows = [json.loads(x) for x in r.stdout.splitlines()]
    assert [x["claim_id"] for x in rows] == ["C-CLEAN", "C-MOD", "C-WARN"]


def test_text_output_groups_by_claim_with_fix(tmp_path: Path, pack: Path) -> None:
    f = _claims(tmp_path, [MOD])
    r = runner.invoke(app, ["scrub", str(f), "-r", str(pack), "--as-of", AS_OF])
    assert "claim C-MOD" in r.stdout and "MOD-59-X" in r.stdout and "line 1" in r.stdout
    assert "fix: Drop 59 on line 1" in r.stdout and "(CO-4)" in r.stdout


def test_output_is_deterministic_and_jobs_keep_order(tmp_path: Path, pack: Path) -> None:
    claims = [dict(MOD, claim_id=f"C{i}") if i % 3 else dict(CLEAN, claim_id=f"C{i}") for i in range(300)]
    f = _claims(tmp_path, claims)
    args = ["scrub", str(f), "-r", str(pack), "--format", "json", "--as-of", AS_OF, "--fail-on", "never"]
    one = subprocess.run([sys.executable, "-m", "claimscrub.cli.main", *args], capture_output=True, text=True,
                         check=True).stdout
    again = subprocess.run([sys.executable, "-m", "claimscrub.cli.main", *args], capture_output=True,
                           text=True, check=True).stdout
    two = subprocess.run([sys.executable, "-m", "claimscrub.cli.main", *args, "--jobs", "2"],
                         capture_output=True, text=True, check=True).stdout
    assert one == again == two
    assert [r["claim_id"] for r in json.loads(two)["results"]] == [f"C{i}" for i in range(300)]


def test_jobs_ndjson_with_bad_lines_matches_one_job(tmp_path: Path, pack: Path) -> None:
    """Workers parse and validate NDJSON lines themselves: broken lines and invalid claims still give one result
    each, in order, worded as a single process words them, and the exit code still sees the worst finding."""
    rows = []
    for i in range(400):
        if i % 97 == 5:
            rows.append('{"claim_id": "BROKEN", "lines": [')
        elif i % 89 == 7:
            rows.append(json.dumps({"claim_id": f"BAD{i}", "lines": [{"code": "97140", "units": "many"}]}))
        else:
            rows.append(json.dumps(dict(MOD if i % 3 else CLEAN, claim_id=f"C{i}")))
    f = tmp_path / "mixed.ndjson"
    f.write_text("\n".join(rows) + "\n")
    args = [sys.executable, "-m", "claimscrub.cli.main", "scrub", str(f), "-r", str(pack), "--format", "ndjson",
            "--as-of", AS_OF]
    one = subprocess.run(args, capture_output=True, text=True)
    two = subprocess.run([*args, "--jobs", "2"], capture_output=True, text=True)
    assert one.stdout == two.stdout and one.returncode == two.returncode == 1
    out = [json.loads(x) for x in two.stdout.splitlines()]
    assert len(out) == 400
    broken = [r for r in out if r["status"] == "error" and r["error"]["message"].startswith("not valid JSON")]
    assert [r["source"]["line"] for r in broken] == [i + 1 for i in range(400) if i % 97 == 5]
    invalid = [r for r in out if r["claim_id"] and r["claim_id"].startswith("BAD")]
    assert invalid and all(r["status"] == "error" and "/lines/0/units" in r["error"]["location"] for r in invalid)


def test_explain_shows_why_not(tmp_path: Path, pack: Path) -> None:
    f = _claims(tmp_path, [{"claim_id": "E1", "lines": [{"code": "97140", "modifiers": ["59"]},
                                                         {"code": "97140", "modifiers": ["59", "XU"]}]}])
    r = runner.invoke(app, ["explain", str(f), "--rule", "MOD-59-X", "-r", str(pack), "--as-of", AS_OF])
    assert r.exit_code == 0, r.output
    assert "line 1 (97140 59" in r.stdout and "does not fire" in r.stdout
    assert "line 2 (97140 59,XU" in r.stdout and "FIRES" in r.stdout
    assert 'line has any modifier in {"XE", "XS", "XP", "XU"}  => False' in r.stdout
    bad = runner.invoke(app, ["explain", str(f), "--rule", "MOD-59-Y", "-r", str(pack)])
    assert bad.exit_code == 2 and "did you mean MOD-59-X" in bad.output


def test_rules_check_reports_all_errors_with_positions(tmp_path: Path) -> None:
    p = tmp_path / "bad.yaml"
    p.write_text(PACK.replace('line.units > 4', 'line.unitz > 4').replace('modifier "59" and', 'modifier "59" &&'))
    r = runner.invoke(app, ["rules", "check", str(p)])
    assert r.exit_code == 2
    assert "bad.yaml:8:34: error[E102]: '&&' is not an operator here" in r.output
    assert "bad.yaml:18:16: error[E202]: unknown field 'unitz' on line" in r.output
    assert "did you mean 'units'?" in r.output
    j = runner.invoke(app, ["rules", "check", str(p), "--format", "json"])
    assert [d["code"] for d in json.loads(j.stdout)["diagnostics"]] == ["E102", "E202"]


def test_rules_compile_show_prints_generated_python(pack: Path) -> None:
    r = runner.invoke(app, ["rules", "compile", str(pack), "--show"])
    assert r.exit_code == 0
    compile(r.stdout, "<shown>", "exec")
    assert "def r0_MOD_59_X(v_claim, v_line, X):" in r.stdout
    assert "def fire(v_claim, X):" in r.stdout  # the dispatcher is shown too: it is code that runs
    summary = runner.invoke(app, ["rules", "compile", str(pack)])
    assert "MOD-59-X" in summary.stdout and "modifiers in {59}" in summary.stdout


def test_schema_commands() -> None:
    claim = json.loads(runner.invoke(app, ["schema", "claim"]).stdout)
    assert "lines" in claim["properties"] and claim["$schema"].endswith("2020-12/schema")
    payer = json.loads(runner.invoke(app, ["schema", "payer"]).stdout)
    assert "extends" in json.dumps(payer)
    rules = json.loads(runner.invoke(app, ["schema", "rules"]).stdout)
    assert rules["title"] == "claimscrub rule pack"


def test_default_scrub_runs_embedded_samples_with_shipped_rules() -> None:
    r = subprocess.run([sys.executable, "-m", "claimscrub.cli.main", "scrub", "--format", "json", "--as-of", AS_OF,
                        "--fail-on", "never"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["summary"]["claims"] >= 6 and doc["summary"]["findings"] > 0
    assert len(doc["ruleset"]["sha256"]) == 64
    assert all(r["payer_profile"]["routed_by"] in ("payer_id", "default") for r in doc["results"])
