"""`claimscrub data import|list` through typer's CliRunner: messages, exit codes, JSON listing."""

from __future__ import annotations

import json
from pathlib import Path

from claimscrub.cli.data_cmd import app
from tablehelp import ptp_file
from typer.testing import CliRunner

runner = CliRunner()


def test_import_list_and_noop(tmp_path: Path, data_dir: Path) -> None:
    f = ptp_file(tmp_path / "ccipra-v322r0-f1.txt", ["11102\t17000\t\t20200101\t*\t1\tok"])
    res = runner.invoke(app, ["import", "ncci-ptp", str(f), "--data", str(data_dir)])
    assert res.exit_code == 0, res.output
    assert "ncci-ptp practitioner v322r0 (2026Q3): 1 rows" in res.output
    again = runner.invoke(app, ["import", "ncci-ptp", str(f), "--data", str(data_dir)])
    assert again.exit_code == 0 and "nothing to do" in again.output
    listed = runner.invoke(app, ["list", "--data", str(data_dir)])
    assert listed.exit_code == 0 and "ccipra-v322r0-f1.txt f1: 1 rows" in listed.output
    js = json.loads(runner.invoke(app, ["list", "--data", str(data_dir), "--format", "json"]).output)
    assert js["tables"][0]["sources"][0]["sha256"]


def test_usage_and_input_errors_exit_2(tmp_path: Path, data_dir: Path) -> None:
    f = ptp_file(tmp_path / "ccipra-v322r0-f1.txt", ["11102\t17000\t\t20200101\t*\t1\tok", "11102\tX"])
    bad_kind = runner.invoke(app, ["import", "ptp", str(f), "--data", str(data_dir)])
    assert bad_kind.exit_code == 2 and "unknown kind" in bad_kind.output
    missing = runner.invoke(app, ["import", "mue", str(tmp_path / "nope.csv"), "--data", str(data_dir)])
    assert missing.exit_code == 2 and "no such file" in missing.output
    strict = runner.invoke(app, ["import", "ncci-ptp", str(f), "--strict", "--data", str(data_dir)])
    assert strict.exit_code == 2 and "ccipra-v322r0-f1.txt:8:" in strict.output and "nothing imported" in strict.output
    date_err = runner.invoke(app, ["import", "ncci-ptp", str(f), "--effective", "July", "--data", str(data_dir)])
    assert date_err.exit_code == 2
    assert runner.invoke(app, ["list", "--data", str(data_dir), "--format", "xml"]).exit_code == 2
    empty = runner.invoke(app, ["list", "--data", str(data_dir)])
    assert empty.exit_code == 0 and "no tables imported" in empty.output
