"""`claimscrub data diff`: rows added, removed and changed between two imported versions of a table."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from claimscrub.cli.main import app
from claimscrub.tables import Store
from claimscrub.tables.diff import diff_tables
from claimscrub.tables.store import load_version
from tablehelp import ptp_file, write
from typer.testing import CliRunner

runner = CliRunner()

OLD_ROWS = [
    "27447\t20610\t\t20100101\t*\t1\tStandards of medical/surgical practice",
    "27447\t29870\t\t20100101\t*\t0\tMutually exclusive procedures",
    "99213\t36415\t\t20150101\t*\t1\tMisuse of Column Two code with Column One code",
]
NEW_ROWS = [
    "27447\t20610\t\t20100101\t20260630\t1\tStandards of medical/surgical practice",  # deleted this quarter
    "27447\t29870\t\t20100101\t*\t1\tMutually exclusive procedures",  # modifier indicator 0 -> 1
    "64483\t64493\t\t20260701\t*\t1\tHCPCS/CPT procedure code definition",  # new edit
]


@pytest.fixture
def two_quarters(tmp_path: Path) -> Path:
    data = tmp_path / "store"
    store = Store(data)
    store.import_files("ncci-ptp", [ptp_file(tmp_path / "ccipra-v321r0-f1.txt", OLD_ROWS)])
    store.import_files("ncci-ptp", [ptp_file(tmp_path / "ccipra-v322r0-f1.txt", NEW_ROWS)])
    mue = "HCPCS/CPT Code,Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n"
    store.import_files("mue", [write(tmp_path / "old/MCR_MUE_PractitionerServices_Eff_04-01-2026.csv", mue +
                                     "97110,4,3 Date of Service Edit: Clinical,Clinical: Data\r\n")])
    store.import_files("mue", [write(tmp_path / "new/MCR_MUE_PractitionerServices_Eff_07-01-2026.csv", mue +
                                     "97110,6,3 Date of Service Edit: Clinical,Clinical: Data\r\n"
                                     "J1100,10,2 Date of Service Edit: Policy,Prescribing Information\r\n")])
    return data


def test_ptp_quarters_added_removed_changed(two_quarters: Path) -> None:
    store = Store(two_quarters)
    d = diff_tables(load_version(store, "ncci-ptp", "v321r0"), load_version(store, "ncci-ptp", "v322r0"))
    assert (d.old, d.new, d.old_rows, d.new_rows) == ("v321r0", "v322r0", 3, 3)
    assert [k for k, _ in d.added] == ["64483 64493 from 2026-07-01"]
    assert [k for k, _ in d.removed] == ["99213 36415 from 2015-01-01"]
    assert d.changed == [("27447 20610 from 2010-01-01", {"deletion": ("", "2026-06-30")}),
                         ("27447 29870 from 2010-01-01", {"modifier_indicator": ("0", "1")})]


def test_cli_text_json_and_mue(two_quarters: Path) -> None:
    r = runner.invoke(app, ["data", "diff", "ncci-ptp", "v321r0", "v322r0", "--data", str(two_quarters)])
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[0] == ("table ncci-ptp (practitioner) v321r0 -> v322r0: 3 -> 3 rows; 1 added, "
                                        "1 removed, 2 changed")
    assert "  ~ 27447 20610 from 2010-01-01: deletion (none) -> 2026-06-30" in r.stdout
    j = runner.invoke(app, ["data", "diff", "mue", "2026Q2", "2026Q3", "--data", str(two_quarters),
                            "--format", "json"])
    doc = json.loads(j.stdout)
    assert doc["counts"] == {"added": 1, "removed": 0, "changed": 1}
    assert doc["changed"] == [{"key": "97110", "fields": {"value": {"old": "4", "new": "6"}}}]
    assert doc["added"][0]["key"] == "J1100" and doc["added"][0]["value"] == "10"


def test_unknown_version_names_what_is_imported(two_quarters: Path) -> None:
    r = runner.invoke(app, ["data", "diff", "ncci-ptp", "v321r0", "v999", "--data", str(two_quarters)])
    assert r.exit_code == 2
    assert "no ncci-ptp version 'v999'" in r.output and "v321r0 (practitioner), v322r0 (practitioner)" in r.output


def test_real_mce_versions(corpus: Path, data_dir: Path) -> None:
    """MCE v33 (FY2016) to v37 (FY2020) from CMS: P00.0 stopped being a newborn-only diagnosis."""
    store = Store(data_dir)
    store.import_files("mce", [corpus / "mce/MCE_Simple_Code_Edits_v33.txt", corpus / "mce/MCE_Simple_Code_Edits_v37.txt"])
    d = diff_tables(load_version(store, "mce", "v33"), load_version(store, "mce", "v37"))
    removed = dict(d.removed)
    assert removed["dx P00.0"] == ("Newborn_Only",)
    assert d.new_rows - d.old_rows == len(d.added) - len(d.removed)
    assert all(a != b for _k, ch in d.changed for a, b in ch.values())
    assert load_version(store, "mce", "FY2020").version == "v37"  # the period label works too
    assert date(2019, 10, 1) == load_version(store, "mce", "v37").period.start


def test_rules_diff_with_table_versions(two_quarters: Path) -> None:
    rules = Path(__file__).resolve().parents[2] / "rules"
    r = runner.invoke(app, ["rules", "diff", str(rules), str(rules), "--table", "ncci-ptp=v321r0..v322r0",
                            "--data", str(two_quarters)])
    assert r.exit_code == 0, r.output
    assert "0 added, 0 removed, 0 changed" in r.stdout  # the rules themselves did not change
    assert "table ncci-ptp (practitioner) v321r0 -> v322r0: 3 -> 3 rows; 1 added, 1 removed, 2 changed" in r.stdout
    j = runner.invoke(app, ["rules", "diff", str(rules), str(rules), "--table", "mue=2026Q2..2026Q3",
                            "--data", str(two_quarters), "--format", "json"])
    assert json.loads(j.stdout)["tables"][0]["counts"] == {"added": 1, "removed": 0, "changed": 1}
    bad = runner.invoke(app, ["rules", "diff", str(rules), str(rules), "--table", "ncci-ptp:v1-v2"])
    assert bad.exit_code == 2 and "KIND=OLD..NEW" in bad.output
