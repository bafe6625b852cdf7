"""ICD-10-CM facts from the real simple-icd-10-cm data (CDC April 2026 release)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from claimscrub.tables import MemoryTables, Store, open_tables
from claimscrub.tables.icd10 import package_table, parse_references

simple_icd_10_cm = pytest.importorskip("simple_icd_10_cm")


@pytest.fixture(scope="module")
def icd():  # noqa: ANN201 - the package release, built once per process
    return package_table()


def test_header_vs_billable(icd) -> None:  # noqa: ANN001
    e11 = icd.get("E11")
    assert e11.valid and e11.header and not e11.billable
    e119 = icd.get("E11.9")
    assert e119.valid and e119.billable and not e119.header
    assert (e119.chapter, e119.block) == ("4", "E08-E13")
    assert e119.description == "Type 2 diabetes mellitus without complications"
    assert icd.get("e119").code == "E11.9"  # undotted and lower case are normalised
    assert icd.get("E11.99").valid is False and icd.get("E08-E13").valid is False
    assert e119.release == "ICD-10-CM April 2026" and e119.provenance.kind == "icd10cm"


def test_excludes1_pair_from_package_notes(icd) -> None:  # noqa: ANN001
    # verified in the package: E11 (type 2 DM) carries the Excludes1 note "type 1 diabetes mellitus (E10.-)"
    assert "type 1 diabetes mellitus (E10.-)" in simple_icd_10_cm.get_excludes1("E11")
    hit = icd.excludes1("E11.9", "E10.65")
    assert hit is not None
    assert (hit.code, hit.excluded, hit.note_owner, hit.note) == ("E11.9", "E10.65", "E11", "type 1 diabetes mellitus (E10.-)")
    # symmetric: either direction's notes count, and the hit says whose note it is
    back = icd.excludes1("E10.65", "E11.9")
    assert back is not None and back.code == "E10.65" and back.note_owner == "E10"
    assert icd.excludes1("E11.9", "I10") is None
    assert icd.excludes1("E11.9", "E11.65") is None and icd.excludes1("E11.9", "E11.9") is None


def test_excludes1_inherited_ranges_and_prefixes(icd) -> None:  # noqa: ANN001
    # K50 (Crohn's) excludes ulcerative colitis (K51.-): prefix reference, inherited by K50.90
    assert icd.excludes1("K50.90", "K51.311").note_owner == "K50"
    # chapter 4 note: "transitory endocrine and metabolic disorders specific to newborn (P70-P74)" (a block range)
    hit = icd.excludes1("E03.9", "P72.1")
    assert hit is not None and hit.note_owner == "4"
    # dotted prefix "O24.4-" (gestational diabetes) from E11's note
    assert icd.excludes1("E11.65", "O24.410").note.startswith("gestational diabetes")


def test_manifestation_and_code_first(icd) -> None:  # noqa: ANN001
    g63 = icd.get("G63")  # Polyneuropathy in diseases classified elsewhere: code first underlying disease
    assert g63.manifestation and g63.code_first
    assert icd.get("F02.80").manifestation  # category F02 note inherited by the leaf
    sepsis = icd.get("A40.9")  # "code first, if applicable, ..." is sequencing, not a manifestation
    assert sepsis.code_first and not sepsis.manifestation
    assert not icd.get("E11.9").manifestation


def test_single_category_blocks_do_not_loop(icd) -> None:  # noqa: ANN001
    """Block "B10" holds only category B10: the shared name once made the category its own parent (a cycle)."""
    assert icd.chain("B10.01") == ("B10.01", "B10.0", "B10", "B10", "1")
    info = icd.get("B10")
    assert info.valid and info.header and info.block == "B10" and info.chapter == "1"
    for i in range(len(icd._codes)):  # every parent chain ends at a chapter
        seen: set[int] = set()
        while i >= 0:
            assert i not in seen, icd._codes[i]
            seen.add(i)
            i = icd._parent[i]
    assert icd.excludes1("Q11.2", "X50.3") is None  # once looped forever on the way up from X50.3


def test_parse_references() -> None:
    refs = parse_references("endocrine disease, except diabetes (E00-E07, E15-E16) gestational (O24.4-) (E08.-) (P70.2)")
    assert refs == [("E00", "E07", False), ("E15", "E16", False), ("O24.4", None, True), ("E08", None, True),
                    ("P70.2", None, False)]


def test_store_import_icd10cm_and_reimport(data_dir: Path) -> None:
    store = Store(data_dir)
    [r] = store.import_files("icd10cm", [])
    assert r.rows > 90_000 and r.version.startswith("FY2026")
    assert store.import_files("icd10cm", [])[0].noop
    t = open_tables(data_dir, icd10_fallback=False)
    assert t.has("icd10cm")
    assert t.icd10("E11.9", date(2026, 5, 1)).billable
    assert t.excludes1("E11.9", "E10.9", None).note_owner == "E11"


def test_sources_without_import_fall_back_to_package(data_dir: Path) -> None:
    t = open_tables(data_dir)
    assert t.has("icd10cm") and t.icd10("E11", None).header
    assert not open_tables(data_dir, icd10_fallback=False).has("icd10cm")
    assert open_tables(data_dir, icd10_fallback=False).icd10("E11", None) is None
    m = MemoryTables.from_rows({})
    assert m.icd10("E11.9", None).billable and m.excludes1("E10.9", "E11.9", None) is not None


def test_packaged_release_is_cached_on_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first build is written to the cache; later processes load it instead of re-walking the package."""
    from claimscrub.tables import icd10

    monkeypatch.setenv("CLAIMSCRUB_CACHE", str(tmp_path))
    path = icd10.cache_path()
    assert path is not None and path.parent == tmp_path and not path.exists()
    built = icd10._cached_payload()
    assert path.exists()
    monkeypatch.setattr(icd10, "build_payload", lambda: pytest.fail("rebuilt although cached"))
    cached = icd10._cached_payload()
    assert cached["codes"] == built["codes"] and cached["ex1"] == built["ex1"]
    path.write_bytes(b"garbage")  # a damaged cache is rebuilt, not trusted
    monkeypatch.setattr(icd10, "build_payload", lambda: {"rebuilt": True})
    assert icd10._cached_payload() == {"rebuilt": True}
    monkeypatch.setenv("CLAIMSCRUB_CACHE", "0")
    assert icd10.cache_path() is None
