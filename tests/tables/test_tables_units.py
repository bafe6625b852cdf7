"""Small pieces: date spellings, periods, the version picker, the compact PTP table and its file format."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from claimscrub.tables.base import VersionSet, dump_payload, load_payload
from claimscrub.tables.common import (
    NO_DATE,
    day_number,
    fiscal_year_period,
    normalize_icd10,
    normalize_setting,
    parse_date,
    period_for_date,
    quarter_period,
)
from claimscrub.tables.ptp import PtpBuilder, PtpTable


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("20260701", date(2026, 7, 1)), ("*", None), ("", None), ("2026-07-01", date(2026, 7, 1)),
     ("07/01/2026", date(2026, 7, 1)), ("2024001", date(2024, 1, 1)), ("2024366", date(2024, 12, 31)),
     ("9999999", None), ("99991231", None), (date(2020, 1, 2), date(2020, 1, 2)), (None, None)],
)
def test_parse_date(raw: object, expected: date | None) -> None:
    assert parse_date(raw) == expected


@pytest.mark.parametrize("raw", ["2026", "20261301", "2024400", "July 1"])
def test_parse_date_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_date(raw)


def test_periods_and_codes() -> None:
    assert quarter_period(2026, 4).end == date(2026, 12, 31)
    assert period_for_date(date(2026, 4, 1)).label == "2026Q2"
    assert period_for_date(date(2026, 4, 2)).label == "2026-04-02"
    assert fiscal_year_period(2020).start == date(2019, 10, 1)
    assert normalize_icd10(" e119 ") == "E11.9" and normalize_icd10("E11") == "E11" and normalize_icd10("E11.") == "E11"
    assert normalize_setting("837P") == "practitioner" and normalize_setting("Institutional") == "hospital"
    with pytest.raises(ValueError):
        normalize_setting("inpatient-ish")


def test_version_set_picks_by_date() -> None:
    vs: VersionSet[str] = VersionSet()
    loads: list[str] = []
    for start, label in [(date(2026, 7, 1), "q3"), (date(2026, 1, 1), "q1"), (date(2026, 4, 1), "q2")]:
        vs.add(start, label, lambda label=label: loads.append(label) or label)
    assert vs.labels == ["q1", "q2", "q3"]
    assert vs.pick(date(2026, 5, 5)) == "q2" and vs.pick(date(2025, 1, 1)) == "q1" and vs.pick(None) == "q3"
    assert vs.pick(date(2026, 4, 1)) == "q2" and loads == ["q2", "q1", "q3"]  # loaded lazily, once each


def test_ptp_builder_roundtrip(tmp_path: Path) -> None:
    b = PtpBuilder("v1", "practitioner", quarter_period(2026, 3))
    slot = b.source_slot("a.txt")
    for c1, c2, line in [("B0002", "A0001", 9), ("A0001", "C0003", 7), ("A0001", "B0002", 8)]:
        b.add(b.code_id(c1), b.code_id(c2), day_number(date(2020, 1, 1)), NO_DATE, 1, slot, b.rationale_id("r"), line)
    t = b.build()
    # grouped by column 1 (in id order) and sorted by column 2 inside a group
    assert [(e.column1, e.column2, e.provenance.line) for e in t.rows()] == [
        ("B0002", "A0001", 9), ("A0001", "B0002", 8), ("A0001", "C0003", 7)]
    assert [e.column2 for e in t.rows("A0001")] == ["B0002", "C0003"]
    path = tmp_path / "t.bin"
    dump_payload(path, t.payload)
    again = PtpTable.from_payload(load_payload(path))
    assert again.get("B0002", "A0001", date(2021, 1, 1)).provenance.line == 9
    merged = PtpBuilder.from_table(again)
    merged.drop_source(0)
    assert len(merged.build()) == 0


def test_table_file_refuses_code(tmp_path: Path) -> None:
    import pickle

    from claimscrub.tables.base import MAGIC

    evil = tmp_path / "evil.bin"
    evil.write_bytes(MAGIC + pickle.dumps({"format": 1, "x": Path("/")}))
    with pytest.raises(pickle.UnpicklingError):
        load_payload(evil)
    (tmp_path / "junk.bin").write_bytes(b"nope")
    with pytest.raises(ValueError, match="not a claimscrub table file"):
        load_payload(tmp_path / "junk.bin")
