"""Table-backed rule packs (rules/ncci.yaml, rules/icd10.yaml, rules/mce.yaml): the CMS semantics, proven.

Two kinds of test:

* corpus tests import the real CMS file excerpts (NCCI PTP practitioner v322r0 f1, practitioner MUE 2026Q3,
  MCE v37) with the real importers into a temporary store and scrub hand-made claims whose expected result
  follows from a row of the excerpt (the row is quoted next to each test). They read the corpus from
  $CLAIMSCRUB_CORPUS, else <repo>/../shared/corpus, and skip with the reason when it is absent;
* unit tests use `MemoryTables` rows for what the excerpts do not hold (an MUE with MAI 1, add-on rows) and for
  the edge cases of each rule.

Every finding of a table-backed rule must cite its table row: `evidence.tables` holds "kind version (file:line)".
"""

from __future__ import annotations

import os
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from claimscrub.api import Scrubber, load_ruleset
from claimscrub.inputs.base import InputItem
from claimscrub.model import Claim
from claimscrub.tables.memory import MemoryTables
from claimscrub.tables.store import Store, open_tables

ROOT = Path(__file__).resolve().parents[1]
CORPUS = Path(os.environ.get("CLAIMSCRUB_CORPUS") or ROOT.parent / "shared" / "corpus")
PTP_FILE = CORPUS / "ncci" / "ccipra-v322r0-f1.excerpt.txt"
MUE_FILE = CORPUS / "ncci" / "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv"
MCE_FILE = CORPUS / "mce" / "MCE_Simple_Code_Edits_v37.txt"

RULESET = load_ruleset()  # the shipped rules, as `claimscrub scrub` runs them
AS_OF = date(2026, 11, 24)

needs_ncci = pytest.mark.skipif(
    not (PTP_FILE.is_file() and MUE_FILE.is_file()),
    reason=f"NCCI corpus excerpts not found under {CORPUS / 'ncci'} (set CLAIMSCRUB_CORPUS)",
)
needs_mce = pytest.mark.skipif(not MCE_FILE.is_file(), reason=f"MCE corpus file not found: {MCE_FILE}")


# ------------------------------------------------------------------------------------------------ helpers


def claim(lines: list[dict[str, Any]] | None = None, *, diagnoses: list[dict[str, Any]] | None = None,
          **extra: Any) -> Claim:
    data: dict[str, Any] = {"claim_id": "T-1", "lines": lines or [], "diagnoses": diagnoses or []}
    data.update(extra)
    return Claim.model_validate(data)


def line(code: str, dos: str, *mods: str, units: int = 1, **extra: Any) -> dict[str, Any]:
    return {"code": code, "service_date_from": dos, "modifiers": list(mods), "units": units, **extra}


def scrub(scrubber: Scrubber, c: Claim, prefix: str = "") -> list[dict[str, Any]]:
    result = scrubber.scrub_item(InputItem(c, {"file": "test", "index": 0}))
    assert result["status"] != "error", result.get("error")
    return [f for f in result["findings"] if f["rule_id"].startswith(prefix)]


def ids(findings: list[dict[str, Any]]) -> list[str]:
    return [f["rule_id"] for f in findings]


def row_line(path: Path, *cells: str) -> int:
    """1-based line number of the first data row of `path` that starts with these cells (tab or comma)."""
    text = path.read_bytes().decode("latin-1")
    for n, raw in enumerate(text.splitlines(), 1):
        parts = re.split(r"[\t,]", raw.strip())
        if parts[: len(cells)] == list(cells):
            return n
    raise AssertionError(f"no row {cells} in {path.name}")


def cites(finding: dict[str, Any], kind: str, version: str, path: Path, n: int) -> None:
    want = f"{kind} {version} ({path.name}:{n})"
    assert want in finding["evidence"].get("tables", []), (want, finding["evidence"].get("tables"))


# ------------------------------------------------------------------------------------ corpus: NCCI PTP/MUE


@pytest.fixture(scope="module")
def corpus_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not (PTP_FILE.is_file() and MUE_FILE.is_file()):
        pytest.skip(f"NCCI corpus excerpts not found under {CORPUS / 'ncci'} (set CLAIMSCRUB_CORPUS)")
    root = tmp_path_factory.mktemp("store")
    store = Store(root)
    [ptp_report] = store.import_files("ncci-ptp", [PTP_FILE])
    [mue_report] = store.import_files("mue", [MUE_FILE])
    assert ptp_report.rows > 100 and mue_report.rows > 40
    if MCE_FILE.is_file():
        store.import_files("mce", [MCE_FILE])
    return root


@pytest.fixture(scope="module")
def corpus(corpus_store: Path) -> Scrubber:
    return Scrubber(RULESET, open_tables(corpus_store), as_of=AS_OF)


@needs_ncci
class TestPtpCorpus:
    # 0001U  0030U  (blank)  20180701  *  1  Misuse of Column Two code with Column One code
    def test_indicator_1_without_modifier_fires_on_the_column2_line(self, corpus: Scrubber) -> None:
        f = scrub(corpus, claim([line("0001U", "2026-07-15"), line("0030U", "2026-07-15")]), "NCCI-PTP")
        assert ids(f) == ["NCCI-PTP-BYPASSABLE"]
        [hit] = f
        assert hit["lines"] == [1, 2] and hit["codes"] == ["0001U", "0030U"]
        assert hit["evidence"]["bindings"]["b"]["number"] == 2  # b = the column 2 line, the one denied
        msg = hit["message"]
        for part in ("Line 2 (0030U)", "line 1 (0001U)", "0001U/0030U", "modifier indicator 1",
                     "Misuse of Column Two code with Column One code"):
            assert part in msg, (part, msg)
        for mod in ("XE", "XS", "XP", "XU", "59", "LT", "RT", "25", "91"):
            assert mod in hit["fix"]
        assert hit["denial"] == {"group": "CO", "carc": "236", "rarc": []}
        cites(hit, "ncci-ptp", "v322r0", PTP_FILE, row_line(PTP_FILE, "0001U", "0030U"))

    @pytest.mark.parametrize("where", ["column2", "column1"])
    def test_indicator_1_with_59_on_either_line_passes(self, corpus: Scrubber, where: str) -> None:
        a = line("0001U", "2026-07-15", *(["59"] if where == "column1" else []))
        b = line("0030U", "2026-07-15", *(["59"] if where == "column2" else []))
        assert scrub(corpus, claim([a, b]), "NCCI-PTP") == []

    def test_indicator_1_other_date_passes(self, corpus: Scrubber) -> None:
        assert scrub(corpus, claim([line("0001U", "2026-07-15"), line("0030U", "2026-07-16")]), "NCCI-PTP") == []

    def test_indicator_1_line_order_does_not_matter(self, corpus: Scrubber) -> None:
        f = scrub(corpus, claim([line("0030U", "2026-07-15"), line("0001U", "2026-07-15")]), "NCCI-PTP")
        assert ids(f) == ["NCCI-PTP-BYPASSABLE"]
        assert f[0]["evidence"]["bindings"]["b"]["code"] == "0030U" and "Line 1 (0030U)" in f[0]["message"]

    # 0001A  36591  (blank)  20220101  20231231  0  CPT Manual or CMS manual coding instruction
    def test_indicator_0_with_59_still_fires(self, corpus: Scrubber) -> None:
        c = claim([line("0001A", "2023-05-01"), line("36591", "2023-05-01", "59")])
        f = scrub(corpus, c, "NCCI-PTP")
        assert ids(f) == ["NCCI-PTP-NOT-BYPASSABLE"]
        assert "modifier indicator 0" in f[0]["message"] and "No modifier can bypass" in f[0]["fix"]
        cites(f[0], "ncci-ptp", "v322r0", PTP_FILE, row_line(PTP_FILE, "0001A", "36591"))

    def test_indicator_0_with_x_and_anatomic_modifiers_still_fires(self, corpus: Scrubber) -> None:
        c = claim([line("0001A", "2023-05-01", "RT"), line("36591", "2023-05-01", "XU", "LT")])
        assert ids(scrub(corpus, c, "NCCI-PTP")) == ["NCCI-PTP-NOT-BYPASSABLE"]

    # 0001A  90473  (blank)  20220101  20220101  9  ...   (deleted retroactively: indicator 9)
    def test_indicator_9_never_fires(self, corpus: Scrubber) -> None:
        assert scrub(corpus, claim([line("0001A", "2022-01-01"), line("90473", "2022-01-01")]), "NCCI-PTP") == []
        # 0001A  G0008  ...  20220101  20220101  9  Mutually exclusive procedures
        assert scrub(corpus, claim([line("0001A", "2022-01-01"), line("G0008", "2022-01-01")]), "NCCI-PTP") == []

    # 0001A  99213  (blank)  20220101  20231231  1  CPT Manual or CMS manual coding instruction
    @pytest.mark.parametrize(("dos", "fires"), [
        ("2021-12-31", False),  # before the effective date
        ("2022-01-01", True),   # effective date
        ("2023-06-01", True),
        ("2023-12-31", True),   # the deletion date is the last day the edit applies
        ("2024-01-01", False),  # after the deletion date
        ("2026-07-15", False),
    ])
    def test_deleted_edit_applies_only_through_its_deletion_date(self, corpus: Scrubber, dos: str, fires: bool) -> None:
        f = scrub(corpus, claim([line("0001A", dos), line("99213", dos)]), "NCCI-PTP")
        assert ids(f) == (["NCCI-PTP-BYPASSABLE"] if fires else [])

    # 0001M  80050  ...  20170401  20181231  0  Misuse of Column Two code with Column One code
    def test_deleted_indicator_0_edit(self, corpus: Scrubber) -> None:
        assert ids(scrub(corpus, claim([line("0001M", "2018-12-31"), line("80050", "2018-12-31", "59")]),
                         "NCCI-PTP")) == ["NCCI-PTP-NOT-BYPASSABLE"]
        assert scrub(corpus, claim([line("0001M", "2019-01-01"), line("80050", "2019-01-01")]), "NCCI-PTP") == []

    # 0001U  0417U  ...  20250101  *  1  (not yet effective before 2025)
    def test_edit_not_yet_effective(self, corpus: Scrubber) -> None:
        assert scrub(corpus, claim([line("0001U", "2024-12-31"), line("0417U", "2024-12-31")]), "NCCI-PTP") == []
        assert ids(scrub(corpus, claim([line("0001U", "2025-01-01"), line("0417U", "2025-01-01")]),
                         "NCCI-PTP")) == ["NCCI-PTP-BYPASSABLE"]

    def test_institutional_claim_uses_hospital_tables(self, corpus: Scrubber) -> None:
        # Only the practitioner (ccipra) file is imported: an 837I claim has no hospital (ccioph) edits.
        c = claim([line("0001U", "2026-07-15"), line("0030U", "2026-07-15")], type="institutional")
        assert scrub(corpus, c, "NCCI-PTP") == []

    def test_different_rendering_providers_are_not_edited(self, corpus: Scrubber) -> None:
        c = claim([line("0001U", "2026-07-15", rendering_npi="1234567893"),
                   line("0030U", "2026-07-15", rendering_npi="1987654328")])
        assert scrub(corpus, c, "NCCI-PTP") == []


@needs_ncci
class TestMueCorpus:
    def test_excerpt_has_no_mai_1_row(self) -> None:
        # The MAI 1 (line edit) semantics are proven with MemoryTables rows below (TestMueUnit).
        assert "1 Line Edit" not in MUE_FILE.read_bytes().decode("latin-1")

    # 0001U,1,2 Date of Service Edit: Policy,Code Descriptor / CPT Instruction
    def test_mai_2_units_summed_over_lines_of_the_date(self, corpus: Scrubber) -> None:
        c = claim([line("0001U", "2026-07-15"), line("0001U", "2026-07-15", "91")])
        f = scrub(corpus, c, "NCCI-MUE")
        assert ids(f) == ["NCCI-MUE-DOS-POLICY"] and f[0]["lines"] == [1]  # once per code and date
        msg = f[0]["message"]
        assert "2 units" in msg and "MUE is 1" in msg and "2 Date of Service Edit: Policy" in msg
        assert f[0]["severity"] == "error"
        assert f[0]["denial"] == {"group": "CO", "carc": "151", "rarc": ["N362"]}
        cites(f[0], "mue", "2026Q3", MUE_FILE, row_line(MUE_FILE, "0001U", "1", "2 Date of Service Edit: Policy"))

    def test_mai_2_within_limit_or_other_dates_passes(self, corpus: Scrubber) -> None:
        assert scrub(corpus, claim([line("0001U", "2026-07-15")]), "NCCI-MUE") == []
        c = claim([line("0001U", "2026-07-15"), line("0001U", "2026-07-16")])
        assert scrub(corpus, c, "NCCI-MUE") == []

    def test_mai_2_single_line_over(self, corpus: Scrubber) -> None:
        f = scrub(corpus, claim([line("99213", "2026-07-15"), line("0001U", "2026-07-15", units=3)]), "NCCI-MUE")
        assert ids(f) == ["NCCI-MUE-DOS-POLICY"] and f[0]["lines"] == [2]

    # 0009U,2,3 Date of Service Edit: Clinical,Nature of Analyte
    def test_mai_3_units_summed(self, corpus: Scrubber) -> None:
        c = claim([line("0009U", "2026-07-15", units=2), line("0009U", "2026-07-15", "91")])
        f = scrub(corpus, c, "NCCI-MUE")
        assert ids(f) == ["NCCI-MUE-DOS-CLINICAL"] and f[0]["lines"] == [1]
        assert "3 units" in f[0]["message"] and "3 Date of Service Edit: Clinical" in f[0]["message"]
        assert "appeal" in f[0]["fix"]
        cites(f[0], "mue", "2026Q3", MUE_FILE, row_line(MUE_FILE, "0009U", "2", "3 Date of Service Edit: Clinical"))

    def test_mai_3_at_limit_passes(self, corpus: Scrubber) -> None:
        c = claim([line("0009U", "2026-07-15"), line("0009U", "2026-07-15")])
        assert scrub(corpus, c, "NCCI-MUE") == []

    def test_code_without_mue_row(self, corpus: Scrubber) -> None:
        assert scrub(corpus, claim([line("99213", "2026-07-15", units=9)]), "NCCI-MUE") == []


@needs_mce
class TestMceCorpus:
    # 37 10 4 C Maternity_Only D O80 / 37 10 5 A Female_Only D O80
    def test_maternity_and_sex(self, corpus: Scrubber) -> None:
        c = claim([line("59400", "2026-07-15")], diagnoses=[{"code": "O80"}],
                  patient={"birth_date": "1950-03-01", "sex": "M"})
        f = scrub(corpus, c, "DEMO-MCE")
        assert sorted(ids(f)) == ["DEMO-MCE-AGE", "DEMO-MCE-SEX"]
        for hit in f:
            assert hit["severity"] == "warning"
            assert any(t.startswith("mce v37 (MCE_Simple_Code_Edits_v37.txt:") for t in hit["evidence"]["tables"])
        age = next(h for h in f if h["rule_id"] == "DEMO-MCE-AGE")
        assert "maternity" in age["message"] and "9-64" in age["message"] and "is 76" in age["message"]

    def test_consistent_patient_passes(self, corpus: Scrubber) -> None:
        c = claim([line("59400", "2026-07-15")], diagnoses=[{"code": "O80"}],
                  patient={"birth_date": "1996-03-01", "sex": "F"})
        assert scrub(corpus, c, "DEMO-MCE") == []

    # 37 10 4 A Newborn_Only D Z3800
    def test_newborn_code_on_an_adult(self, corpus: Scrubber) -> None:
        c = claim([line("99213", "2026-07-15")], diagnoses=[{"code": "Z38.00"}], patient={"birth_date": "1990-01-01"})
        f = scrub(corpus, c, "DEMO-MCE")
        assert ids(f) == ["DEMO-MCE-AGE"] and "newborn" in f[0]["message"]
        assert scrub(corpus, claim([line("99460", "2026-07-15")], diagnoses=[{"code": "Z38.00"}],
                                   patient={"birth_date": "2026-07-14"}), "DEMO-MCE") == []

    # 37 10 5 C Male_Only D N400
    def test_male_only_on_female(self, corpus: Scrubber) -> None:
        c = claim([line("99213", "2026-07-15")], diagnoses=[{"code": "N40.0"}],
                  patient={"birth_date": "1950-01-01", "sex": "F"})
        f = scrub(corpus, c, "DEMO-MCE")
        assert ids(f) == ["DEMO-MCE-SEX"] and "M-only" in f[0]["message"]
        c.patient.sex = "U"
        assert scrub(corpus, c, "DEMO-MCE") == []


# --------------------------------------------------------------------------------------- unit: MemoryTables

PTP_ROWS = [
    {"column1": "17000", "column2": "11102", "effective": "2020-01-01", "deletion": None,
     "modifier_indicator": "1", "rationale": "Mutually exclusive procedures"},
    {"column1": "11042", "column2": "97597", "effective": "2011-01-01", "deletion": None,
     "modifier_indicator": "0", "rationale": "Standards of medical/surgical practice"},
    {"column1": "20610", "column2": "20604", "effective": "2015-01-01", "deletion": "2015-01-01",
     "modifier_indicator": "9", "rationale": "Mutually exclusive procedures"},
]
NCCI_MODIFIERS = ["59", "XE", "XS", "XP", "XU", "E1", "E2", "E3", "E4", "FA", "F1", "F5", "F9", "TA", "T1", "T9",
                  "LT", "RT", "LC", "LD", "RC", "LM", "RI", "24", "25", "57", "58", "78", "79", "27", "91"]


def memory(rows: dict[str, Any]) -> Scrubber:
    return Scrubber(RULESET, MemoryTables.from_rows(rows), as_of=AS_OF)


class TestPtpUnit:
    scrubber = memory({"ncci-ptp": PTP_ROWS})

    @pytest.mark.parametrize("mod", NCCI_MODIFIERS)
    def test_every_ncci_associated_modifier_bypasses_indicator_1(self, mod: str) -> None:
        c = claim([line("17000", "2026-03-02"), line("11102", "2026-03-02", mod)])
        assert scrub(self.scrubber, c, "NCCI-PTP") == []

    @pytest.mark.parametrize("mod", ["76", "77", "51", "GA", "QW", "26", "TC", "50"])
    def test_other_modifiers_do_not_bypass(self, mod: str) -> None:
        c = claim([line("17000", "2026-03-02"), line("11102", "2026-03-02", mod)])
        assert ids(scrub(self.scrubber, c, "NCCI-PTP")) == ["NCCI-PTP-BYPASSABLE"]

    @pytest.mark.parametrize("mod", ["59", "XS", "RT", "25"])
    def test_indicator_0_ignores_modifiers(self, mod: str) -> None:
        c = claim([line("11042", "2026-03-02", mod), line("97597", "2026-03-02", mod)])
        assert ids(scrub(self.scrubber, c, "NCCI-PTP")) == ["NCCI-PTP-NOT-BYPASSABLE"]

    def test_indicator_9_on_its_only_day(self) -> None:
        assert scrub(self.scrubber, claim([line("20610", "2015-01-01"), line("20604", "2015-01-01")]), "NCCI-PTP") == []

    def test_line_rendering_npi_defaults_to_claim_rendering(self) -> None:
        c = claim([line("17000", "2026-03-02"), line("11102", "2026-03-02", rendering_npi="1987654328")],
                  rendering_provider={"npi": "1987654328"})
        assert ids(scrub(self.scrubber, c, "NCCI-PTP")) == ["NCCI-PTP-BYPASSABLE"]

    def test_evidence_cites_the_memory_row(self) -> None:
        [f] = scrub(self.scrubber, claim([line("17000", "2026-03-02"), line("11102", "2026-03-02")]), "NCCI-PTP")
        assert f["evidence"]["tables"] == ["ncci-ptp memory (memory:1)"]


class TestMueUnit:
    scrubber = memory({"mue": [
        {"code": "11102", "value": 1, "mai": 1, "rationale": "Code Descriptor / CPT Instruction"},
        {"code": "96372", "value": 2, "mai": "1 Line Edit", "rationale": "Clinical: Data"},
    ]})

    def test_mai_1_is_per_line(self) -> None:
        f = scrub(self.scrubber, claim([line("96372", "2026-03-02", units=3)]), "NCCI-MUE")
        assert ids(f) == ["NCCI-MUE-LINE"] and "3 units" in f[0]["message"] and "1 Line Edit" in f[0]["message"]
        assert f[0]["denial"] == {"group": "CO", "carc": "151", "rarc": ["N362"]}
        assert f[0]["evidence"]["tables"] == ["mue memory (memory:2)"]

    def test_mai_1_units_on_separate_lines_are_not_summed(self) -> None:
        c = claim([line("96372", "2026-03-02", units=2), line("96372", "2026-03-02", "XS", units=2)])
        assert scrub(self.scrubber, c, "NCCI-MUE") == []

    def test_mai_1_each_line_over_fires_per_line(self) -> None:
        c = claim([line("11102", "2026-03-02", units=2), line("11102", "2026-03-02", "XS", units=2)])
        f = scrub(self.scrubber, c, "NCCI-MUE")
        assert [x["lines"] for x in f] == [[1], [2]]


class TestAddonUnit:
    scrubber = memory({"addon": [
        {"code": "11103", "type": 1, "primaries": ["11102", "11104", "11106"]},
        {"code": "99417", "type": 2},
        {"code": "64462", "type": 3, "primaries": ["64461"]},
        {"code": "22552", "type": 1, "primaries": ["22551", "22554"], "effective": "2017-01-01", "deletion": "2025-12-31"},
    ]})

    def test_type_1_without_primary_on_the_date(self) -> None:
        f = scrub(self.scrubber, claim([line("11102", "2026-03-01"), line("11103", "2026-03-02")]), "NCCI-ADDON")
        assert ids(f) == ["NCCI-ADDON-NO-PRIMARY"] and f[0]["lines"] == [2]
        assert "11102" in f[0]["message"] and f[0]["severity"] == "error"
        assert f[0]["evidence"]["tables"] == ["addon memory (memory:1)"]

    @pytest.mark.parametrize("primary", ["11102", "11104", "11106"])
    def test_type_1_with_any_listed_primary(self, primary: str) -> None:
        c = claim([line("11103", "2026-03-02"), line(primary, "2026-03-02")])
        assert scrub(self.scrubber, c, "NCCI-ADDON") == []

    def test_type_1_edit_dated(self) -> None:
        assert ids(scrub(self.scrubber, claim([line("22552", "2025-06-01")]), "NCCI-ADDON")) == ["NCCI-ADDON-NO-PRIMARY"]
        assert scrub(self.scrubber, claim([line("22552", "2026-06-01")]), "NCCI-ADDON") == []

    def test_type_2_alone_is_info(self) -> None:
        f = scrub(self.scrubber, claim([line("99417", "2026-03-02")]), "NCCI-ADDON")
        assert ids(f) == ["NCCI-ADDON-TYPE2-ALONE"] and f[0]["severity"] == "info"
        assert scrub(self.scrubber, claim([line("99215", "2026-03-02"), line("99417", "2026-03-02")]), "NCCI-ADDON") == []

    def test_type_3_without_listed_primary_is_warning(self) -> None:
        f = scrub(self.scrubber, claim([line("64462", "2026-03-02"), line("99213", "2026-03-02")]), "NCCI-ADDON")
        assert ids(f) == ["NCCI-ADDON-TYPE3-UNLISTED-PRIMARY"] and f[0]["severity"] == "warning"
        assert scrub(self.scrubber, claim([line("64461", "2026-03-02"), line("64462", "2026-03-02")]), "NCCI-ADDON") == []


class TestIcd10Unit:
    """ICD-10-CM from the packaged simple-icd-10-cm release (no rows needed)."""

    scrubber = memory({})

    def dx(self, *codes: str) -> list[dict[str, Any]]:
        f = scrub(self.scrubber, claim([line("99213", "2026-06-10")], diagnoses=[{"code": c} for c in codes]), "ICD10")
        return f

    def test_header_code(self) -> None:
        [f] = self.dx("E11")
        assert f["rule_id"] == "ICD10-NON-BILLABLE" and "ICD-10-CM April 2026" in f["message"]
        assert f["evidence"]["tables"] == ["icd10cm FY2026-04 (icd10c-tabular-April-1-2026.xml)"]

    def test_undotted_header_and_billable(self) -> None:
        assert ids(self.dx("E119")) == []  # 837 HI sends E119; the model dots it
        assert ids(self.dx("I10")) == []

    def test_invalid_code(self) -> None:
        [f] = self.dx("E11.99")
        assert f["rule_id"] == "ICD10-INVALID" and "not a code of ICD-10-CM April 2026" in f["message"]

    def test_format_errors_left_to_core_diagnosis(self) -> None:
        assert ids(self.dx("250.00")) == []

    def test_excludes1_once_per_pair_either_order(self) -> None:
        for codes in (("R51.9", "G44.209"), ("G44.209", "R51.9")):
            f = self.dx(*codes)
            assert ids(f) == ["ICD10-EXCLUDES1"] and f[0]["severity"] == "warning"
            assert "headache NOS (R51.9)" in f[0]["message"] and "ICD-10-CM April 2026" in f[0]["message"]
        f = self.dx("E11.9", "I10", "E10.9")
        assert ids(f) == ["ICD10-EXCLUDES1"] and "position 1" in f[0]["message"] and "position 3" in f[0]["message"]

    def test_manifestation_first(self) -> None:
        f = self.dx("F02.80", "G30.9")
        assert ids(f) == ["ICD10-MANIFESTATION-FIRST"] and "code first" in f[0]["message"]
        assert ids(self.dx("G30.9", "F02.80")) == []

    def test_icd9_claims_are_not_checked(self) -> None:
        c = claim([line("99213", "2015-06-10")], diagnoses=[{"code": "4019", "qualifier": "BK"}])
        assert scrub(self.scrubber, c, "ICD10") == []


class TestMceUnit:
    scrubber = memory({"mce": [{"code": "O80", "edits": ["Maternity_Only", "Female_Only"]},
                               {"code": "Z00.110", "age_class": "newborn"},
                               {"code": "N40.0", "sex": "M"}]})

    @pytest.mark.parametrize(("birth", "fires"), [
        ("2017-06-10", False),  # 9th birthday on the date of service: maternity band starts at 9
        ("2017-06-11", True),   # still 8
        ("1961-06-11", False),  # still 64
        ("1961-06-10", True),   # 65th birthday on the date of service
    ])
    def test_maternity_age_band_on_the_date_of_service(self, birth: str, fires: bool) -> None:
        c = claim([line("59400", "2026-06-10")], diagnoses=[{"code": "O80"}], patient={"birth_date": birth, "sex": "F"})
        assert ids(scrub(self.scrubber, c, "DEMO-MCE")) == (["DEMO-MCE-AGE"] if fires else [])

    def test_newborn_age(self) -> None:
        c = claim([line("99391", "2026-06-10")], diagnoses=[{"code": "Z00.110"}], patient={"birth_date": "2025-06-10"})
        assert ids(scrub(self.scrubber, c, "DEMO-MCE")) == ["DEMO-MCE-AGE"]  # 1 year old
        c.patient.birth_date = date(2026, 6, 3)
        assert scrub(self.scrubber, c, "DEMO-MCE") == []

    def test_sex_missing_or_unknown(self) -> None:
        for sex in (None, "U"):
            c = claim([line("99213", "2026-06-10")], diagnoses=[{"code": "N40.0"}], patient={"sex": sex})
            assert scrub(self.scrubber, c, "DEMO-MCE") == []


def test_rules_skipped_without_tables() -> None:
    s = Scrubber(RULESET, MemoryTables.from_rows({}), as_of=AS_OF)
    c = claim([line("17000", "2026-03-02"), line("11102", "2026-03-02", units=9)], diagnoses=[{"code": "O80"}],
              patient={"sex": "M"})
    assert [f for f in scrub(s, c) if f["category"].startswith(("ncci.", "demographic."))
            and f["rule_id"].startswith(("NCCI", "DEMO-MCE"))] == []
    skipped = s.header()["ruleset"]["skipped_rules"]
    for rule_id in ("NCCI-PTP-BYPASSABLE", "NCCI-MUE-LINE", "NCCI-ADDON-NO-PRIMARY", "DEMO-MCE-AGE"):
        assert rule_id in skipped
    assert "ICD10-NON-BILLABLE" not in skipped  # the packaged ICD-10-CM release answers


def test_icd10_demo_claim_reports_all_three() -> None:
    from claimscrub.api import input_items

    s = Scrubber(RULESET, MemoryTables.from_rows({}), as_of=AS_OF)
    [item] = list(input_items(ROOT / "examples" / "claims" / "icd10-demo.json"))
    found = {f["rule_id"]: f for f in s.scrub_item(item)["findings"]}
    for rule_id in ("ICD10-NON-BILLABLE", "ICD10-EXCLUDES1", "ICD10-MANIFESTATION-FIRST"):
        assert rule_id in found
        assert "ICD-10-CM April 2026" in found[rule_id]["message"]
