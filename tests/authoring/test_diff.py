"""`claimscrub rules diff`: directories and git revisions, canonical condition diffs."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
from claimscrub.authoring.pretty import normalize, to_text
from claimscrub.cli.main import app
from claimscrub.dsl.parser import parse
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data" / "diff"
runner = CliRunner()

EXPECTED = [
    "pack test.diff: 1 -> 2",
    "+ added   NEW-RULE [info payer.custom] Added rule",
    "            when: claim.total_charge > 5000",
    "- removed GONE [info payer.custom] Removed rule",
    "~ changed UNITS-HIGH",
    "            severity: warning -> error",
    "            effective: (none) -> {from: 2026-07-01}",
    "            when:",
    "              @@ -1 +1,2 @@",
    "              -line.units > 4",
    "              +line.units > 6",
    '              +and line.code not in {"J*"}',
    "1 added, 1 removed, 1 changed",
]


def test_diff_directories() -> None:
    res = runner.invoke(app, ["rules", "diff", str(DATA / "old"), str(DATA / "new")])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == EXPECTED


def test_diff_json() -> None:
    res = runner.invoke(app, ["rules", "diff", str(DATA / "old"), str(DATA / "new"), "--format", "json"])
    doc = json.loads(res.output)
    assert [r["id"] for r in doc["added"]] == ["NEW-RULE"]
    assert [r["id"] for r in doc["removed"]] == ["GONE"]
    assert doc["changed"][0]["fields"] == {"severity": {"old": "warning", "new": "error"},
                                           "effective": {"old": None, "new": {"from": "2026-07-01"}}}
    assert doc["packs"] == {"test.diff": {"old": "1", "new": "2"}}


@pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")
def test_diff_git_revisions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def git(*args: str) -> None:
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    git("init", "-q")
    git("config", "user.email", "t@example.com")
    git("config", "user.name", "t")
    (tmp_path / "rules").mkdir()
    shutil.copy(DATA / "old" / "p.yaml", tmp_path / "rules" / "p.yaml")
    git("add", "rules")
    git("commit", "-qm", "old")
    shutil.copy(DATA / "new" / "p.yaml", tmp_path / "rules" / "p.yaml")
    git("commit", "-qam", "new")
    monkeypatch.chdir(tmp_path)
    res = runner.invoke(app, ["rules", "diff", "git:HEAD~1:rules", "git:HEAD:rules"])
    assert res.exit_code == 0, res.output
    assert res.output.splitlines() == EXPECTED
    res = runner.invoke(app, ["rules", "diff", "git:HEAD~1:rules", "rules"])
    assert res.output.splitlines() == EXPECTED
    res = runner.invoke(app, ["rules", "diff", "git:nosuchrev:rules", "rules"])
    assert res.exit_code == 2


@pytest.mark.parametrize("text", [
    'line has modifier "59" and (line.units > 1 or not line.code in {"A".."B", "J*", EM})',
    "-(a.units + 2) * 3 - b.units / 4 >= $10.50",
    "sum(l.units for l in lines where l.code == line.code) between 1 and param.max",
    'any(d in diagnoses where d.code in {"E08".."E13"}) and line.dx[1] is not null',
    'not (a or b) and date("2026-01-01") > claim.service_date',
])
def test_pretty_round_trip(text: str) -> None:
    canonical = to_text(parse(text))
    assert to_text(parse(canonical)) == canonical


def test_pretty_canonical_and_normalized() -> None:
    assert to_text(parse("line.code=='x'".replace("==", " == "))) == 'line.code == "x"'
    assert to_text(parse("(a and b) and (c or d)")) == "a and b and (c or d)"
    assert normalize(parse('x != {"Z", "A"} and line.code == b')) == 'b == line.code and x != {"A", "Z"}'
