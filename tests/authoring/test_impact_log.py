"""`claimscrub impact` (exact counts and examples, HTML with inline SVG) and the `scrub --log` decision log."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

from claimscrub.authoring.decision_log import decision_record
from claimscrub.cli.main import app
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data"
runner = CliRunner()
ARGS = ["impact", "--old", str(DATA / "diff" / "old"), "--new", str(DATA / "diff" / "new"),
        str(DATA / "impact" / "claims.json"), "--as-of", "2026-08-01"]
CLAIMS = str(DATA / "impact" / "claims.json")


def test_impact_text_and_html(tmp_path: Path) -> None:
    page = tmp_path / "impact.html"
    res = runner.invoke(app, [*ARGS, "--html", str(page)])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == [
        "6 claims: 5 changed (1 gain findings, 5 lose findings)",
        "status: findings->clean 3",
        "rule                          gained    lost",
        "UNITS-HIGH                         0       3",
        "GONE                               0       2",
        "NEW-RULE                           1       0",
        "by category: payer.custom +1 -5",
        f"  - GONE                       claim E {CLAIMS}#4 lines []: big",
        f"  - GONE                       claim F {CLAIMS}#5 lines []: big",
        f"  + NEW-RULE                   claim F {CLAIMS}#5 lines []: big",
        f"  - UNITS-HIGH                 claim A {CLAIMS}#0 lines [1]: Line 1: 5 units",
        f"  - UNITS-HIGH                 claim B {CLAIMS}#1 lines [1]: Line 1: 5 units",
        f"  - UNITS-HIGH                 claim D {CLAIMS}#3 lines [1]: Line 1: 9 units",
    ]
    text = page.read_text()
    assert text.count("<svg") == 2 and "<script" not in text
    assert "<title>UNITS-HIGH: 3</title>" in text and "<title>NEW-RULE: 1</title>" in text


def test_impact_json_examples_limit() -> None:
    res = runner.invoke(app, [*ARGS, "--format", "json", "--examples", "1"])
    doc = json.loads(res.output)
    assert doc["claims"] == 6 and doc["changed_claims"] == 5
    assert doc["gained"]["by_rule"] == {"NEW-RULE": 1}
    assert doc["lost"]["by_rule"] == {"UNITS-HIGH": 3, "GONE": 2}
    assert [x["claim_id"] for x in doc["examples"]["-UNITS-HIGH"]] == ["A"]


def test_decision_record_has_no_phi() -> None:
    result = {"claim_id": "C-123", "status": "findings", "findings": [{"rule_id": "MOD-59-X"}, {"rule_id": "X2"}],
              "payer_profile": {"id": "acme", "version": "2026.2", "sha256": "p", "routed_by": "payer_id"},
              "ruleset": {"name": "payer:acme", "version": "2026.2", "sha256": "abc"}}
    header = {"engine": {"name": "claimscrub", "version": "0.1.0"},
              "ruleset": {"name": "base", "version": "1", "sha256": "zzz"}, "as_of": "2026-11-24"}
    rec = decision_record(result, header, datetime(2026, 11, 24, 15, 2, 11, 500, tzinfo=UTC))
    assert rec == {"time": "2026-11-24T15:02:11Z", "claim": hashlib.sha256(b"C-123").hexdigest()[:16],
                   "status": "findings", "ruleset": {"name": "payer:acme", "version": "2026.2", "sha256": "abc"},
                   "engine": "0.1.0", "as_of": "2026-11-24", "payer_profile": {"id": "acme", "version": "2026.2"},
                   "rules": ["MOD-59-X", "X2"]}
    plain = decision_record({"claim_id": None, "status": "clean", "findings": []}, header)
    assert plain["claim"] is None and "payer_profile" not in plain and plain["ruleset"]["sha256"] == "zzz"


def test_scrub_log_appends_one_line_per_claim(tmp_path: Path) -> None:
    log = tmp_path / "decisions.ndjson"
    claims = str(DATA / "impact" / "claims.json")
    for _ in range(2):
        res = runner.invoke(app, ["scrub", claims, "--rules", str(DATA / "good"), "--as-of", "2026-08-01",
                                  "--log", str(log), "--fail-on", "never"])
        assert res.exit_code == 0, res.output
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    assert len(lines) == 12
    assert [x["rules"] for x in lines[:6]] == [["MOD-59-X", "UNITS-HIGH"], ["UNITS-HIGH"], ["UNITS-HIGH"],
                                               ["UNITS-HIGH"], [], []]
    assert lines[0]["claim"] == hashlib.sha256(b"A").hexdigest()[:16]
    assert len({x["ruleset"]["sha256"] for x in lines}) == 1
