"""FHIR Claim input: the Synthea export (every claim an item, clear errors) and hand-made Claims and Bundles."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from claimscrub.inputs import InputFileError, detect_format, read_path, read_text

CPT = "http://www.ama-assn.org/go/cpt"
ICD10 = "http://hl7.org/fhir/sid/icd-10-cm"


def claim(**over):
    res = {
        "resourceType": "Claim", "id": "c-1", "status": "active", "use": "claim",
        "identifier": [{"system": "urn:example:pcn", "value": "PCN-1"}],
        "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/claim-type", "code": "professional"}]},
        "patient": {"reference": "Patient/p1"}, "created": "2025-02-01T10:00:00Z",
        "billablePeriod": {"start": "2025-01-10", "end": "2025-01-12"},
        "provider": {"reference": "Practitioner/dr1", "display": "DR ONE"},
        "priority": {"coding": [{"code": "normal"}]},
        "insurance": [{"sequence": 1, "focal": True, "coverage": {"display": "ACME PLAN"}, "preAuthRef": ["PA7"]}],
        "diagnosis": [
            {"sequence": 1, "diagnosisCodeableConcept": {"coding": [{"system": ICD10, "code": "E11.9"}]},
             "type": [{"coding": [{"code": "principal"}]}]},
            {"sequence": 2, "diagnosisCodeableConcept": {"coding": [{"system": ICD10, "code": "I10"}]}},
        ],
        "item": [
            {"sequence": 1, "diagnosisSequence": [2, 1],
             "productOrService": {"coding": [{"system": CPT, "code": "99214"}]},
             "modifier": [{"coding": [{"code": "25"}]}], "servicedDate": "2025-01-10",
             "quantity": {"value": 1}, "net": {"value": 125.0, "currency": "USD"},
             "locationCodeableConcept": {"coding": [{
                 "system": "https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set",
                 "code": "11"}]}},
            {"sequence": 2, "diagnosisSequence": [1],
             "productOrService": {"coding": [{"system": CPT, "code": "36415"}]},
             "servicedPeriod": {"start": "2025-01-10", "end": "2025-01-11"},
             "quantity": {"value": 2}, "unitPrice": {"value": 10}},
        ],
        "total": {"value": 145.0, "currency": "USD"},
    }
    res.update(over)
    return res


def read(obj, name="c.json"):
    text = json.dumps(obj)
    assert detect_format(text) == "fhir"
    return list(read_text(text, name))


def test_single_claim_mapping() -> None:
    (item,) = read(claim())
    assert item.ok, item.error
    c = item.claim
    assert c.claim_id == "PCN-1" and c.type == "professional" and c.total_charge == Decimal("145.0")
    assert (c.statement_from, c.statement_to, c.submission_date) == (date(2025, 1, 10), date(2025, 1, 12),
                                                                     date(2025, 2, 1))
    assert c.patient.id == "p1" and c.patient.birth_date is None
    assert c.payer.name == "ACME PLAN" and c.prior_authorization == "PA7" and c.billing_provider.name == "DR ONE"
    assert [(d.code, d.qualifier) for d in c.diagnoses] == [("E11.9", "ABK"), ("I10", "ABF")]
    l1, l2 = c.lines
    assert (l1.code, l1.modifiers, l1.charge, l1.units, l1.place_of_service) == ("99214", ["25"], Decimal("125.0"),
                                                                                 Decimal("1"), "11")
    assert l1.diagnosis_pointers == [2, 1] and l1.dx == ["I10", "E11.9"]
    assert (l2.service_date_from, l2.service_date_to, l2.charge) == (date(2025, 1, 10), date(2025, 1, 11),
                                                                     Decimal("20"))


def test_bundle_resolves_patient_practitioner_condition() -> None:
    c = claim()
    c["diagnosis"][1] = {"sequence": 2, "diagnosisReference": {"reference": "Condition/cond1"}}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [
        {"fullUrl": "urn:uuid:p1", "resource": {"resourceType": "Patient", "id": "p1", "birthDate": "1950-03-04",
                                                 "gender": "female"}},
        {"resource": {"resourceType": "Practitioner", "id": "dr1",
                      "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1245319599"}]}},
        {"resource": {"resourceType": "Condition", "id": "cond1", "subject": {"reference": "Patient/p1"},
                      "code": {"coding": [{"system": ICD10, "code": "I10"}]}}},
        {"resource": c},
        {"resource": claim(id="c-2", identifier=[{"value": "PCN-2"}])},
    ]}
    items = read(bundle, "b.json")
    assert [i.claim_id for i in items] == ["PCN-1", "PCN-2"] and all(i.ok for i in items)
    c1 = items[0].claim
    assert c1.patient.birth_date == date(1950, 3, 4) and c1.patient.sex == "F"
    assert c1.billing_provider.npi == "1245319599" and c1.diagnoses[1].code == "I10"
    assert items[1].source == {"file": "b.json", "index": 1, "pointer": "/entry/4/resource"}


def test_unsupported_code_system_is_a_claim_error_with_pointer() -> None:
    bad = claim()
    bad["item"][1]["productOrService"] = {"coding": [{"system": "http://snomed.info/sct", "code": "50849002"}]}
    good = claim(id="ok", identifier=[{"value": "OK"}])
    items = read({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": bad}, {"resource": good}]})
    assert [i.ok for i in items] == [False, True]
    err = items[0].error
    assert err.location == "c.json#/entry/0/resource/item/1/productOrService/coding"
    assert "no CPT/HCPCS code (found SNOMED CT 50849002)" in err.message


def test_snomed_only_diagnosis_is_an_error() -> None:
    c = claim()
    c["diagnosis"][1]["diagnosisCodeableConcept"] = {"coding": [{"system": "http://snomed.info/sct", "code": "38341003"}]}
    (item,) = read(c)
    assert item.error.location == "c.json#/diagnosis/1/diagnosisCodeableConcept"
    assert "no ICD-10-CM code (found SNOMED CT)" in item.error.message


def test_invalid_fhir_structure() -> None:
    c = claim()
    c["item"][0]["sequence"] = "one"
    (item,) = read(c)
    assert item.error.location == "c.json#/item/0/sequence"
    assert item.error.message.startswith("not a valid FHIR R4 Claim")


def test_no_claims_is_a_file_error() -> None:
    with pytest.raises(InputFileError, match=r"no FHIR Claim resources found \(found 1 Patient\)"):
        read({"resourceType": "Patient", "id": "x"})


def test_synthea_ndjson(corpus: Path) -> None:
    path = corpus / "fhir" / "synthea_r4" / "Claim.ndjson"
    items = list(read_path(path))
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    assert len(items) == len(lines) == 192
    # Synthea codes services in SNOMED/CVX, references Conditions it does not export, and has pharmacy claims:
    # every claim is an item with a clear error and a pointer, none is dropped and nothing crashes.
    assert not any(i.ok for i in items)
    assert sum("claim type 'pharmacy' is not supported" in i.error.message for i in items) == 117
    for i in items:
        assert i.error.location.startswith(f"{path}:{i.source['line']}#/")
        assert i.claim_id


def test_provider_address_as_the_837_carries_it() -> None:
    """Organization.address[0] becomes billing_provider.address: ZIP+4 without its hyphen, no country for the US."""
    c = claim()
    c["provider"] = {"reference": "Organization/org1"}
    org = {"resourceType": "Organization", "id": "org1",
           "identifier": [{"system": "http://hl7.org/fhir/sid/us-npi", "value": "1245319599"}],
           "address": [{"line": ["PO Box 12", "Suite 4"], "city": "Calverton", "state": "MD",
                        "postalCode": "20705-1234", "country": "US"}]}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": org}, {"resource": c}]}
    (item,) = read(bundle, "b.json")
    a = item.claim.billing_provider.address
    assert (a.line1, a.line2, a.city, a.state, a.zip, a.country) == ("PO Box 12", "Suite 4", "Calverton", "MD",
                                                                     "207051234", None)
    org["address"][0].update(postalCode="M5J 2N1", country="CA")
    (item,) = read(bundle, "b.json")
    assert (item.claim.billing_provider.address.zip, item.claim.billing_provider.address.country) == ("M5J 2N1", "CA")
