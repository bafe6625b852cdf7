"""The store with files the tests write: versions by date, f1..f4 parts, replacements, csv tables, add-on files."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from claimscrub.tables import Store, TableImportError, open_tables
from claimscrub.tables.importers.ncci import identify_ptp
from tablehelp import ptp_file, write


def test_two_quarters_side_by_side_picked_by_date(tmp_path: Path, data_dir: Path) -> None:
    q2 = ptp_file(tmp_path / "ccipra-v321r0-f1.txt", ["11102\t17000\t\t20200101\t*\t0\tMutually exclusive procedures"])
    q3 = ptp_file(tmp_path / "ccipra-v322r0-f1.txt", ["11102\t17000\t\t20200101\t*\t1\tMutually exclusive procedures"])
    store = Store(data_dir)
    store.import_files("ncci-ptp", [q3])
    store.import_files("ncci-ptp", [q2])
    assert [(e["version"], e["period"]["label"]) for e in store.entries()] == [("v321r0", "2026Q2"), ("v322r0", "2026Q3")]
    t = open_tables(data_dir)
    assert t.ptp("11102", "17000", date(2026, 5, 1), "practitioner").modifier_indicator == "0"
    assert t.ptp("11102", "17000", date(2026, 8, 1), "practitioner").modifier_indicator == "1"
    assert t.ptp("11102", "17000", date(2027, 1, 1), "practitioner").provenance.version == "v322r0"  # latest in effect
    assert t.ptp("11102", "17000", date(2024, 1, 1), "practitioner").provenance.version == "v321r0"  # earliest
    assert t.ptp("11102", "17000", None, "practitioner").provenance.version == "v322r0"


def test_parts_merge_and_a_corrected_part_replaces(tmp_path: Path, data_dir: Path) -> None:
    f1 = ptp_file(tmp_path / "ccipra-v322r0-f1.txt", ["0001A\t0591T\t\t20220101\t*\t1\tr1"])
    f2 = ptp_file(tmp_path / "ccipra-v322r0-f2.txt", ["20000\t11000\t*\t19960101\t*\t0\tr2"])
    store = Store(data_dir)
    store.import_files("ncci-ptp", [f1])
    store.import_files("ncci-ptp", [f2])  # a later command adds the second part to the same version
    [entry] = store.entries()
    assert entry["rows"] == 2 and [s["part"] for s in entry["sources"]] == ["f1", "f2"]
    t = open_tables(data_dir)
    assert t.ptp("20000", "11000", date(2026, 8, 1), "practitioner").provenance.source_file == "ccipra-v322r0-f2.txt"
    assert t.ptp("20000", "11000", date(2026, 8, 1), "practitioner").prior_1996
    fixed = ptp_file(tmp_path / "fixed" / "ccipra-v322r0-f2.txt", ["20000\t11001\t\t19960101\t*\t0\tr2"])
    [r] = store.import_files("ncci-ptp", [fixed])
    assert r.replaced == "ccipra-v322r0-f2.txt"
    t = open_tables(data_dir)
    assert t.ptp("20000", "11000", date(2026, 8, 1), "practitioner") is None
    assert t.ptp("20000", "11001", date(2026, 8, 1), "practitioner") is not None
    assert t.ptp("0001A", "0591T", date(2026, 8, 1), "practitioner") is not None
    assert store.entries()[0]["rows"] == 2


def test_hospital_file_and_effective_override(tmp_path: Path, data_dir: Path) -> None:
    f = ptp_file(tmp_path / "my-edits.txt", ["10021\t10004\t\t20190101\t*\t1\tx"])
    with pytest.raises(TableImportError, match="--setting"):
        Store(data_dir).import_files("ncci-ptp", [f])
    with pytest.raises(TableImportError, match="--effective"):
        Store(data_dir).import_files("ncci-ptp", [f], setting="hospital")
    [r] = Store(data_dir).import_files("ncci-ptp", [f], setting="hospital", effective=date(2026, 10, 1))
    assert (r.setting, r.version) == ("hospital", "2026Q4")
    assert open_tables(data_dir).ptp("10021", "10004", date(2026, 10, 2), "837I") is not None


def test_identify_ptp_names() -> None:
    i = identify_ptp("ccioph-v313r0-f2.TXT", None, None)
    assert (i.setting, i.version, i.period.label, i.part) == ("hospital", "v313r0", "2025Q4", "f2")
    assert identify_ptp("ccipra-v320r0-f1.txt", None, None).period.start == date(2026, 1, 1)


def test_malformed_rows_reported_with_lines(tmp_path: Path, data_dir: Path) -> None:
    f = ptp_file(tmp_path / "ccipra-v322r0-f3.txt", [
        "11102\t17000\t\t20200101\t*\t1\tok",
        "11102\t17001\t\t2020-13-01\t*\t1\tok",
        "11102\t17002\t\t20200101\t*\t7\tok",
        "11102\tABC\t\t20200101\t*\t1\tok",
        "11102\t17003",
    ])
    [r] = Store(data_dir).import_files("ncci-ptp", [f])
    assert r.rows == 1
    assert [(i.line, i.message.split(" ")[0]) for i in r.malformed] == [(8, "month"), (9, "modifier"), (10, "column"), (11, "expected")]


def test_mue_hospital_and_dme_settings_from_header(tmp_path: Path, data_dir: Path) -> None:
    body = '"notice\nline two",,,\r\n"HCPCS/\nCPT Code",{} MUE Values,MUE Adjudication Indicator,MUE Rationale\r\n' \
           "A0425,250,1 Line Edit,Nature of Service/Procedure\r\n"
    write(tmp_path / "a" / "MCR_MUE_OutpatientHospitalServices_Eff_04-01-2026.csv", body.format("Facility Outpatient Hospital Services"))
    write(tmp_path / "b" / "MCR_MUE_DMESupplierServices_Eff_04-01-2026.csv", body.format("DME Supplier Services"))
    store = Store(data_dir)
    store.import_files("mue", sorted(tmp_path.glob("*/MCR_*.csv")))
    t = open_tables(data_dir)
    assert t.mue("A0425", date(2026, 4, 2), "hospital").value == 250
    assert t.mue("A0425", date(2026, 4, 2), "dme").mai == 1
    assert t.has("mue/dme") and not t.has("mue/practitioner")


def test_addon_tab_and_fixed_width(tmp_path: Path, data_dir: Path) -> None:
    tab = write(tmp_path / "AOC_V2026Q1_01-MCR.txt",
                "Add-on Code\tPrimary Code\tAOC Edit Type\tAOC Del Dt\tPrimary Code Del Dt\tAOC Edit Eff Dt\tAOC Edit Del Dt\tSpecial Instruction Notes\r\n"
                "11103\t11102\t1\t9999999\t9999999\t2019001\t9999999\t\r\n"
                "11103\t11104\t1\t9999999\t2023365\t2019001\t9999999\t\r\n"
                "99292\tCCCCC\t2\t9999999\t9999999\t2013001\t9999999\tContractor defined\r\n"
                "1110\t11102\t1\t9999999\t9999999\t2019001\t9999999\t\r\n")
    [r] = Store(data_dir).import_files("addon", [tab])
    assert (r.version, r.rows, [i.line for i in r.malformed]) == ("2026Q1", 3, [5])
    t = open_tables(data_dir)
    assert t.addon("11103", date(2023, 6, 1)).primaries == frozenset({"11102", "11104"})
    assert t.addon("11103", date(2024, 6, 1)).primaries == frozenset({"11102"})  # primary deleted end of 2023
    assert t.addon("11103", date(2018, 6, 1)) is None
    assert t.addon("99292", date(2024, 1, 1)).type == 2 and t.addon("99292", None).primaries == frozenset()
    fixed = write(tmp_path / "AOC_V2026Q2_01-MCR.txt",
                  "Add-on Code  Primary Code  AOC Edit Type  AOC Edit Eff Dt  AOC Edit Del Dt\n"
                  "22552        22551         1              2019001          9999999\n")
    [r2] = Store(data_dir).import_files("addon", [fixed])
    assert r2.rows == 1 and open_tables(data_dir).addon("22552", date(2026, 5, 1)).primaries == {"22551"}


DEF = """
name: lcd-l33333
description: covered diagnoses for J1234
key: [hcpcs, icd10]
columns:
  hcpcs: code
  icd10: {type: icd10, source: "ICD-10 Code"}
  fee: {type: decimal, required: false}
  start: date
effective: {from: start}
"""


def test_csv_table_with_definition(tmp_path: Path, data_dir: Path) -> None:
    definition = write(tmp_path / "lcd.yaml", DEF, encoding="utf-8")
    csvf = write(tmp_path / "lcd_l33333_2026-07-01.csv",
                 'hcpcs,ICD-10 Code,fee,start\r\nj1234,e119,"1,234.50",2026-07-01\r\nJ1234,,1,2026-07-01\r\n'
                 "J1234,E11.65,x,2026-07-01\r\nJ1234,E10.9,,2027-01-01\r\n")
    [r] = Store(data_dir).import_files("csv", [csvf], definition=definition)
    assert (r.kind, r.version, r.rows) == ("csv:lcd-l33333", "2026-07-01", 2)
    assert [(i.line, i.message) for i in r.malformed] == [(3, "column 'icd10' is empty"), (4, "column 'fee': 'x' is not a number")]
    t = open_tables(data_dir)
    row = t.lookup("lcd-l33333", "J1234|E11.9", date(2026, 8, 1))
    assert row.values["fee"] == __import__("decimal").Decimal("1234.50") and row.values["start"] == date(2026, 7, 1)
    assert row.provenance.line == 2 and row.provenance.kind == "csv:lcd-l33333"
    assert t.lookup("lcd-l33333", "J1234|E10.9", date(2026, 8, 1)) is None  # row starts 2027
    assert t.has("csv:lcd-l33333")
    with pytest.raises(TableImportError, match="--definition"):
        Store(data_dir).import_files("csv", [csvf])
    bad = write(tmp_path / "bad.yaml", "name: x\nkey: [a]\ncolumns: {a: money}\n", encoding="utf-8")
    with pytest.raises(TableImportError, match="invalid table definition at columns/a"):
        Store(data_dir).import_files("csv", [csvf], definition=bad)


def test_manifest_records_everything(tmp_path: Path, data_dir: Path) -> None:
    f = ptp_file(tmp_path / "ccipra-v322r0-f1.txt", ["11102\t17000\t\t20200101\t*\t1\tok"])
    Store(data_dir).import_files("ncci-ptp", [f])
    manifest = json.loads((data_dir / "manifest.json").read_text())
    [e] = manifest["tables"]
    assert e["kind"] == "ncci-ptp" and e["period"] == {"label": "2026Q3", "start": "2026-07-01", "end": "2026-09-30"}
    [s] = e["sources"]
    assert set(s) >= {"name", "sha256", "rows", "malformed", "imported_at", "part", "encoding"}
    assert (data_dir / e["file"]).is_file()
