"""The shipped starter rule packs: every rule is cited and carries examples, every example holds,
a clean claim stays clean, and the sample batch exercises a broad spread of categories."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from claimscrub.api import Scrubber, load_ruleset
from claimscrub.examples import ExampleResult, run_examples
from claimscrub.model import Claim

ROOT = Path(__file__).resolve().parents[1]
RULES = ROOT / "rules"
SAMPLES = ROOT / "examples" / "claims"
AS_OF = date(2026, 11, 24)

RULESET = load_ruleset([RULES])


# Every embedded example, run once through the example runner; one test id per example.
EXAMPLE_RESULTS = run_examples(RULESET)


def test_ruleset_manifest() -> None:
    assert RULESET.name == "claimscrub-starter"
    assert RULESET.version == "2026.11.0"


def test_rule_count() -> None:
    assert len(RULESET.rules) >= 30


@pytest.mark.parametrize("rule", RULESET.rules, ids=lambda r: r.id)
def test_rule_is_documented(rule) -> None:
    kinds = ["fires" if "fires" in ex else "passes" for ex in rule.examples]
    assert "fires" in kinds, f"{rule.id} ({rule.location}) has no fires example"
    assert "passes" in kinds, f"{rule.id} ({rule.location}) has no passes example"
    assert (rule.source or "").strip(), f"{rule.id} ({rule.location}) has no source"


@pytest.mark.parametrize("result", EXAMPLE_RESULTS, ids=lambda r: r.name.replace(" ", "-"))
def test_rule_example(result: ExampleResult) -> None:
    assert result.ok, f"{result.detail} at {result.location}"


CLEAN_CLAIM = {
    "claim_id": "CLEAN-0001",
    "type": "professional",
    "frequency_code": "1",
    "submission_date": "2026-11-02",
    "payer": {"id": "00435", "name": "Example Health Plan"},
    "patient": {"id": "P-9001", "birth_date": "1975-05-14", "sex": "F"},
    "subscriber": {"member_id": "W98765432100"},
    "billing_provider": {"npi": "1234567893", "taxonomy": "207Q00000X", "tax_id": "123456789"},
    "rendering_provider": {"npi": "1987654328"},
    "place_of_service": "11",
    "total_charge": 212.00,
    "diagnoses": [
        {"code": "E11.9", "qualifier": "ABK"},
        {"code": "I10", "qualifier": "ABF"},
    ],
    "lines": [
        {
            "code": "99214",
            "modifiers": ["25"],
            "units": 1,
            "charge": 165.00,
            "service_date_from": "2026-10-30",
            "diagnosis_pointers": [1, 2],
        },
        {
            "code": "83036",
            "modifiers": ["QW"],
            "units": 1,
            "charge": 22.00,
            "service_date_from": "2026-10-30",
            "diagnosis_pointers": [1],
        },
        {
            "code": "20610",
            "modifiers": ["RT"],
            "units": 1,
            "charge": 25.00,
            "service_date_from": "2026-10-30",
            "diagnosis_pointers": [1],
        },
    ],
}


def test_clean_claim_has_no_findings() -> None:
    claim = Claim.model_validate(CLEAN_CLAIM)
    findings = Scrubber(RULESET, as_of=AS_OF).engine.evaluate(claim, AS_OF)
    assert findings == [], [f"{f['rule_id']}: {f['message']}" for f in findings]


def test_sample_claims_cover_categories() -> None:
    scrubber = Scrubber(RULESET, as_of=AS_OF)
    results = [r for p in sorted(SAMPLES.iterdir()) for r in scrubber.scrub_path(p)]
    assert len(results) >= 6
    assert all(r["status"] != "error" for r in results), [r["error"] for r in results if r["error"]]
    assert any(r["status"] == "clean" for r in results)
    categories = {f["category"] for r in results for f in r["findings"]}
    assert len(categories) >= 8, sorted(categories)
