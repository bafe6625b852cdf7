"""TR3 validation through pyx12: located errors for the imsweb problems a scrubber-level reader cannot see."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest.importorskip("pyx12", reason="pyx12 (the 'x12' extra) is not installed")

from claimscrub.inputs.x12_validate import validate_x12  # noqa: E402


def test_valid_tr3_example_has_no_errors(corpus: Path) -> None:
    assert validate_x12(corpus / "x12" / "837p" / "stupidedi" / "commercial-health-insurance.edi") == []


def test_tr3_only_problems_are_found(corpus: Path) -> None:
    base = corpus / "x12" / "837p_malformed" / "imsweb"
    errs = validate_x12(base / "x12_segments_out_of_order.txt")
    assert any("(N4) missing" in e.message and e.location.endswith("segment 11 (N4)") for e in errs)
    errs = validate_x12(base / "x12_segment_errors.txt")
    messages = [(e.location.rpartition(" segment ")[2], e.message) for e in errs]
    assert ("10 (N3)", 'Mandatory segment "Billing Provider Address" (N3) missing (IK3 3)') in messages
    assert any(loc == "12 (REF)" and "exceeded max count" in m for loc, m in messages)


def test_errata_version_and_bom_are_validated(corpus: Path) -> None:
    errs = validate_x12(corpus / "x12" / "837p" / "linuxforhealth" / "demo.example1.837")
    assert not any("Map not found" in e.message for e in errs)
    errs = validate_x12(corpus / "x12" / "837p" / "oopfactory" / "Example1_HealthInsurance.txt")
    assert not any("Map not found" in e.message or "decode" in e.message for e in errs)
