"""Every 837 in the corpus: claims in = items out, and the known-bad files fail the way they should."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from claimscrub.inputs import InputFileError, read_path

from .corpus_files import files_under, require


def _text(path: Path) -> str:
    raw = path.read_bytes()
    if len(raw) > 3 and raw[1] == 0 and raw[3] == 0:
        return raw.decode("utf-16-le", errors="replace")
    return raw.decode("utf-8", errors="replace").lstrip("\ufeff")


def clm_count(path: Path) -> int:
    """Count CLM segments independently of the reader: separators from the ISA, then a regex."""
    text = _text(path)
    m = re.search(r"(?m)^\s*ISA(\W)", text)
    if not m:
        return len(re.findall(r"(?m)^\s*CLM\*", text))
    el = m.group(1)
    pos = m.end()
    for _ in range(15):
        pos = text.index(el, pos) + 1
    term = text[pos + 1]
    return len(re.findall(rf"(?:^|{re.escape(term)})\s*CLM{re.escape(el)}", text[m.start():]))


def read_all(path: Path):
    return list(read_path(path, "auto"))


@pytest.mark.parametrize("path", files_under("837p", "837i"))
def test_every_claim_becomes_an_item(path: Path | None) -> None:
    path = require(path)
    expected = clm_count(path)
    if expected == 0:
        # The one 837 without a CLM is cut short (UnicodeExample.txt): a clear file error, not silence.
        with pytest.raises(InputFileError, match="not closed"):
            read_all(path)
        return
    items = read_all(path)
    assert len(items) == expected
    for item in items:
        assert (item.claim is None) != (item.error is None)
        assert item.source["file"] == str(path)
        assert isinstance(item.source["segment"], int)
        if item.claim is not None:
            assert item.claim.source["segment"] == item.source["segment"]
            assert item.claim.lines and all(ln.source and ln.source["segment"] > item.source["segment"]
                                            for ln in item.claim.lines)
        else:
            assert str(path) in item.error.location and " segment " in item.error.location


# Files whose claims are all fine for a scrubber (their TR3 examples may still have SNIP 1-2 issues).
ALL_OK = [
    "837p/stupidedi", "837i/stupidedi", "837p/uhin", "837p/oopfactory/Example1_2_And_3_Combined.txt",
    "837p/oopfactory/ST1309-XX.txt", "837i/oopfactory/Spec_3.1.2_TwoClaimsForTheSameProvider.txt",
    "837p/linuxforhealth/demo.example1.837", "837i/linuxforhealth/two-claims-single-provider.837i",
]


@pytest.mark.parametrize("rel", ALL_OK)
def test_known_good_files_parse(corpus: Path, rel: str) -> None:
    target = corpus / "x12" / rel
    paths = sorted(p for p in target.rglob("*") if p.is_file()) if target.is_dir() else [target]
    for path in paths:
        items = read_all(path)
        assert items and all(i.ok for i in items), [i.error for i in items if i.error]


# imsweb's negative fixtures (EXPECTED_ERRORS.md): what a scrubber-level reader reports for each.
MALFORMED = {
    "x12_bad_first_line.txt": ("file", "segment 1 (ISA) element 2: ISA02 must be 10 characters, got 9"),
    "x12_no_isa_line.txt": ("file", "no ISA interchange header"),
    "x12_bad_segment_identifier.txt": ("claims", "invalid segment identifier ''"),
    "x12_bad_valid_code.txt": ("claims", "billing provider name loop 2010AA (NM1*85) is required but not found"),
    "x12_loop_errors1_exceeds_max_1_parent.txt": ("claims", "2010AA (NM1*85) appears more than once"),
    "x12_loop_errors2_exceeds_max_repeats_multiple_parents.txt": ("some", "2010AA (NM1*85) appears more than once"),
    "x12_loop_errors3_missing_loops.txt": ("claims", "2010AA (NM1*85) is required but not found"),
    "x12_missing_required_loop_in_one_repeat.txt": ("some", "2010BA (NM1*IL) is required but not found"),
    "x12_missing_elements.txt": ("some", "required composite CLM05"),
    "x12_segment_errors.txt": ("claims", "HI (health care diagnosis code) is required in loop 2300"),
    "x12_missing_required_loops_mult_repeats.txt": ("some", "SV1 outside a service line"),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_imsweb_files(corpus: Path, name: str) -> None:
    path = corpus / "x12" / "837p_malformed" / "imsweb" / name
    kind, text = MALFORMED[name]
    if kind == "file":
        with pytest.raises(InputFileError) as exc:
            read_all(path)
        assert text in str(exc.value)
        return
    items = read_all(path)
    assert len(items) == clm_count(path)
    hits = [i for i in items if i.error and text in i.error.message]
    assert hits if kind == "some" else len(hits) == len(items), [i.error for i in items]


def test_missing_service_lines_reported(corpus: Path) -> None:
    path = corpus / "x12" / "837p_malformed" / "imsweb" / "x12_missing_required_loops_mult_repeats.txt"
    messages = " ".join(i.error.message for i in read_all(path) if i.error)
    assert "claim has no service lines" in messages
    assert "date format qualifier 'RD9'" in messages


@pytest.mark.parametrize("path", files_under("other_versions_4010"))
def test_4010_is_unsupported(path: Path | None) -> None:
    path = require(path)
    with pytest.raises(InputFileError) as exc:
        read_all(path)
    msg = str(exc.value)
    if "835" in path.name:
        assert "not an 837" in msg
    else:
        assert "unsupported X12 version" in msg and "(GS) element 8" in msg


@pytest.mark.parametrize("path", files_under("835", "acks"))
def test_835_and_acks_are_not_837(path: Path | None) -> None:
    path = require(path)
    with pytest.raises(InputFileError) as exc:
        read_all(path)
    msg = str(exc.value)
    assert "not an 837" in msg or "no ISA interchange header" in msg


def test_many_claims_file_counts(corpus: Path) -> None:
    path = corpus / "x12" / "837p" / "imsweb" / "x12_multiple_transactions.txt"
    items = read_all(path)
    assert len(items) == clm_count(path) == 624
    # imsweb writes ICD-9 HI with the element separator where the component separator belongs: every claim
    # is reported (with the fix in the message), none is dropped.
    assert all(i.error and "did the sender mean BK:" in i.error.message for i in items)
    assert len({(i.source["interchange"], i.source["transaction"], i.source["segment"]) for i in items}) == 624
