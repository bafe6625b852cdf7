"""MemoryTables: the same lookups from plain row dicts, as rule-pack examples and unit tests build them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from claimscrub.tables import MemoryTables, TableSource

ROWS = {
    "ncci-ptp": [
        {"column1": "17000", "column2": "11102", "effective": "2020-01-01", "deletion": None,
         "modifier_indicator": "1", "rationale": "Mutually exclusive procedures"},
        {"column1": "17000", "column2": "11102", "effective": "2015-01-01", "deletion": "2019-12-31",
         "modifier_indicator": "0", "rationale": "Standards of medical/surgical practice"},
        {"column1": "36415", "column2": "36416", "effective": "20100101", "deletion": "*", "modifier_indicator": "9",
         "rationale": "x", "setting": "hospital", "prior_1996": True},
    ],
    "mue": [
        {"code": "11102", "value": 1, "mai": 2},
        {"code": "J1234", "value": 10, "mai": "3 Date of Service Edit: Clinical", "rationale": "Clinical", "setting": "dme"},
    ],
    "addon": [
        {"code": "11103", "type": 1, "primaries": ["11102", "11104"], "effective": "2019-01-01"},
        {"code": "99292", "type": 2},
    ],
    "mce": [
        {"code": "O80", "edits": ["Maternity_Only", "Female_Only"]},
        {"code": "N40.0", "sex": "M", "age_class": "adult"},
        {"code": "0UT90ZZ", "code_type": "P", "edit": "Female_Only"},
    ],
    "icd10cm": [{"code": "Z99.99", "billable": True, "description": "made up", "excludes1": ["E11.-"]}],
    "csv:prior-auth": [
        {"key": "97110", "requires_auth": True, "effective": "2026-01-01", "termination": "2026-06-30"},
        {"key": "97110", "requires_auth": False, "effective": "2026-07-01"},
    ],
    "csv:fees": {"key": ["code", "modifier"], "rows": [{"code": "99213", "modifier": "", "fee": Decimal("91.50")}]},
}


@pytest.fixture(scope="module")
def tables() -> MemoryTables:
    return MemoryTables.from_rows(ROWS)


def test_is_a_table_source(tables: MemoryTables) -> None:
    source: TableSource = tables
    assert source.has("ncci-ptp") and source.has("mue") and source.has("addon") and source.has("mce")
    assert source.has("csv:prior-auth") and source.has("csv") and source.has("icd10cm")
    assert not source.has("csv:nothing")


def test_ptp_dates_settings_and_provenance(tables: MemoryTables) -> None:
    now = tables.ptp("17000", "11102", date(2024, 1, 1), "practitioner")
    assert now.modifier_indicator == "1" and now.provenance.line == 1 and now.provenance.source_file == "memory"
    assert tables.ptp("17000", "11102", date(2018, 1, 1), "practitioner").modifier_indicator == "0"
    assert tables.ptp("17000", "11102", date(2024, 1, 1), "hospital").modifier_indicator == "1"  # both settings
    assert tables.ptp("17000", "11102", None, "837P").deletion is None  # latest, setting alias
    assert tables.ptp("36415", "36416", date(2024, 1, 1), "practitioner") is None
    h = tables.ptp("36415", "36416", date(2024, 1, 1), "hospital")
    assert h.prior_1996 and h.modifier_indicator == "9" and h.provenance.line == 3
    assert tables.ptp("11102", "17000", date(2024, 1, 1), "practitioner") is None


def test_mue_addon_mce(tables: MemoryTables) -> None:
    m = tables.mue("11102", None, "hospital")
    assert (m.value, m.mai, m.mai_text) == (1, 2, "2 Date of Service Edit: Policy")
    assert tables.mue("J1234", None, "practitioner") is None and tables.mue("J1234", None, "dme").mai == 3
    a = tables.addon("11103", date(2024, 1, 1))
    assert a.type == 1 and a.primaries == frozenset({"11102", "11104"})
    assert tables.addon("11103", date(2018, 1, 1)) is None
    assert tables.addon("99292", None).primaries == frozenset() and tables.addon("99292", None).type == 2
    o80 = tables.mce("O80", None)
    assert (o80.age_class, o80.sex, o80.age_min, o80.age_max) == ("maternity", "F", 9, 64)
    assert tables.mce("N400", None).sex == "M" and tables.mce("N40.0", None).age_class == "adult"
    assert tables.mce("0UT90ZZ", None).code_type == "P"


def test_icd10_overlay_and_fallback(tables: MemoryTables) -> None:
    assert tables.icd10("Z99.99", None).billable and tables.icd10("Z99.99", None).description == "made up"
    assert tables.icd10("E11", None).header  # real data behind the overlay
    assert tables.excludes1("Z99.99", "E11.9", None).note_owner == "Z99.99"
    assert tables.excludes1("E11.9", "Z99.99", None).code == "Z99.99"
    assert tables.excludes1("E11.9", "E10.9", None) is not None


def test_csv_lookup_by_date(tables: MemoryTables) -> None:
    assert tables.lookup("prior-auth", "97110", date(2026, 3, 1)).values == {"requires_auth": True}
    assert tables.lookup("csv:prior-auth", "97110", date(2026, 8, 1)).values == {"requires_auth": False}
    assert tables.lookup("prior-auth", "97110", date(2025, 1, 1)) is None
    assert tables.lookup("fees", "99213|", None).values["fee"] == Decimal("91.50")
    assert tables.lookup("nothing", "x", None) is None


def test_bad_rows_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown table kind"):
        MemoryTables.from_rows({"ptp": []})
    with pytest.raises(ValueError, match="modifier_indicator"):
        MemoryTables.from_rows({"ncci-ptp": [{"column1": "A", "column2": "B", "modifier_indicator": "5"}]})
