"""Importing the real CMS excerpts from the shared corpus (never copied into the repository)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from claimscrub.tables import Store, TableImportError, open_tables

PTP = "ncci/ccipra-v322r0-f1.excerpt.txt"
MUE = "ncci/MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"


def test_ptp_excerpt_counts_cut_row_and_version(corpus: Path, data_dir: Path) -> None:
    [r] = Store(data_dir).import_files("ncci-ptp", [corpus / PTP])
    assert (r.setting, r.version, r.period.label) == ("practitioner", "v322r0", "2026Q3")
    assert r.period.start == date(2026, 7, 1) and r.period.end == date(2026, 9, 30)
    assert r.rows == 154
    assert r.skipped_lines == 6  # AMA notice, title, header wrapped over four lines
    assert r.encoding in ("latin-1", "utf-8")
    [cut] = r.malformed
    assert cut.line == 161 and cut.file == "ccipra-v322r0-f1.excerpt.txt"
    assert "cut off" in cut.message and "Misuse of Column T" in cut.message
    assert str(cut).startswith("ccipra-v322r0-f1.excerpt.txt:161: ")
    [entry] = Store(data_dir).entries()
    [src] = entry["sources"]
    assert src["rows"] == 154 and src["malformed"] == 1 and src["part"] == "f1" and len(src["sha256"]) == 64


def test_ptp_excerpt_lookups(corpus: Path, data_dir: Path) -> None:
    Store(data_dir).import_files("ncci-ptp", [corpus / PTP])
    t = open_tables(data_dir)
    e = t.ptp("0001A", "0591T", date(2022, 6, 1), "practitioner")
    assert e is not None
    assert (e.effective, e.deletion, e.modifier_indicator, e.prior_1996) == (date(2022, 1, 1), date(2023, 12, 31), "1", False)
    assert e.rationale == "CPT Manual or CMS manual coding instruction"
    assert (e.provenance.source_file, e.provenance.line, e.provenance.version) == ("ccipra-v322r0-f1.excerpt.txt", 7, "v322r0")
    assert e.provenance.cite() == "ncci-ptp v322r0 (ccipra-v322r0-f1.excerpt.txt:7)"
    # deletion date is the last day the edit applies
    assert t.ptp("0001A", "0591T", date(2023, 12, 31), "practitioner") is not None
    assert t.ptp("0001A", "0591T", date(2024, 1, 1), "practitioner") is None
    assert t.ptp("0001A", "0591T", date(2021, 12, 31), "practitioner") is None
    # `*` deletion = still active; modifier indicator 0 and 9 rows
    star = t.ptp("0001U", "81163", date(2026, 8, 1), "practitioner")
    assert star is not None and star.deletion is None and star.effective == date(2019, 1, 1)
    assert t.ptp("0001A", "36591", date(2022, 6, 1), "practitioner").modifier_indicator == "0"
    assert t.ptp("0001A", "90473", date(2022, 1, 1), "practitioner").modifier_indicator == "9"
    # order matters, the cut row is absent, other settings have no table
    assert t.ptp("0591T", "0001A", date(2022, 6, 1), "practitioner") is None
    assert t.ptp("0001U", "81167", None, "practitioner") is None
    assert t.ptp("0001A", "0591T", date(2022, 6, 1), "hospital") is None
    assert t.has("ncci-ptp") and t.has("ncci-ptp/practitioner") and not t.has("ncci-ptp/hospital")
    assert not t.has("mue")


def test_reimport_same_file_is_noop(corpus: Path, data_dir: Path) -> None:
    store = Store(data_dir)
    store.import_files("ncci-ptp", [corpus / PTP])
    before = (data_dir / "manifest.json").read_bytes()
    [r] = store.import_files("ncci-ptp", [corpus / PTP])
    assert r.noop and "nothing to do" in r.summary()
    assert (data_dir / "manifest.json").read_bytes() == before


def test_strict_rejects_cut_row_and_writes_nothing(corpus: Path, data_dir: Path) -> None:
    with pytest.raises(TableImportError) as exc:
        Store(data_dir).import_files("ncci-ptp", [corpus / PTP], strict=True)
    assert [i.line for i in exc.value.issues] == [161]
    assert Store(data_dir).entries() == []


def test_mue_excerpt(corpus: Path, data_dir: Path) -> None:
    [r] = Store(data_dir).import_files("mue", [corpus / MUE])
    assert (r.setting, r.version, r.rows, r.malformed) == ("practitioner", "2026Q3", 44, [])
    assert r.encoding == "latin-1"  # the notice carries a Latin-1 registered sign
    t = open_tables(data_dir)
    m = t.mue("0009U", date(2026, 7, 1), "practitioner")
    assert (m.value, m.mai, m.mai_text, m.rationale) == (2, 3, "3 Date of Service Edit: Clinical", "Nature of Analyte")
    first = t.mue("0001U", None, "practitioner")
    assert (first.mai, first.mai_text) == (2, "2 Date of Service Edit: Policy")
    # quoted notice spans lines 1-7, the wrapped header 8-9: the first row is line 10
    assert first.provenance.line == 10 and first.provenance.version == "2026Q3"
    assert t.mue("0001U", None, "hospital") is None and t.mue("99999", None, "practitioner") is None


def test_mue_cut_last_record_reported(corpus: Path, tmp_path: Path, data_dir: Path) -> None:
    raw = (corpus / MUE).read_bytes()
    cut = tmp_path / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
    cut.write_bytes(raw[: raw.rindex(b"Code Descriptor") + 7])  # ends "...,Code De" with no line end
    [r] = Store(data_dir).import_files("mue", [cut])
    assert r.rows == 43
    [bad] = r.malformed
    assert bad.line == 53 and "cut off" in bad.message


def test_mue_file_given_as_ptp_is_a_clear_error(corpus: Path, data_dir: Path) -> None:
    with pytest.raises(TableImportError, match="no MUE header"):
        Store(data_dir).import_files("mue", [corpus / PTP], effective=date(2026, 7, 1))


def test_mce_lists_versions_picked_by_date(corpus: Path, data_dir: Path) -> None:
    reports = Store(data_dir).import_files(
        "mce", [corpus / "mce/MCE_Simple_Code_Edits_v37.txt", corpus / "mce/MCE_Simple_Code_Edits_v33.txt"]
    )
    assert [(r.version, r.period.label, r.rows) for r in reports] == [("v37", "FY2020", 14153), ("v33", "FY2016", 12718)]
    t = open_tables(data_dir)
    o80 = t.mce("O80", date(2020, 3, 1))
    assert (o80.age_class, o80.age_min, o80.age_max, o80.sex) == ("maternity", 9, 64, "F")
    assert o80.edits == frozenset({"Maternity_Only", "Female_Only"})
    assert t.mce("O80", date(2016, 3, 1)).age_min == 12  # maternity 12-55 before MCE v34
    assert t.mce("G63", date(2020, 3, 1)).manifestation
    # P00.0 is a newborn-only diagnosis in v33 (FY2016) but not listed in v37 (FY2020)
    assert t.mce("P00.0", date(2016, 1, 1)).age_class == "newborn"
    assert t.mce("P00.0", date(2020, 1, 1)) is None
    proc = t.mce("5A1955Z", date(2020, 1, 1))
    assert proc.code_type == "P" and proc.edits == frozenset({"Noncovered_LOS_96hr"})
