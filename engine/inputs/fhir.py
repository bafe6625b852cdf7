"""FHIR R4 Claim resources (one, a Bundle of them, or NDJSON) to the claim model.

Structure is checked with `fhir.resources` (R4B models, which accept R4 Claims), imported lazily because it adds
about 0.3 s to start-up and is an optional extra (`pip install 'claimscrub[fhir]'`). Values are mapped from the
JSON itself so every problem can name its JSON pointer.

Policy, so that no claim is lost and none is silently changed:
- every Claim resource yields one InputItem; resources of other types are context (a Bundle's Patient, Condition,
  Practitioner, Organization are used to resolve references) and yield nothing;
- a service line whose productOrService has no CPT/HCPCS (or, for institutional claims, revenue) code, a diagnosis
  with no ICD-10-CM/ICD-9-CM code (SNOMED-only, or a reference to a Condition that is not in the Bundle), or a claim
  type other than professional/institutional make that claim an error item naming the pointer. Dropping such lines
  or diagnoses would shift diagnosis pointers and make rules (NCCI, MUE, medical necessity) pass on partial data;
- a patient reference that does not resolve (Synthea exports reference Patients in another file) keeps the
  reference id as patient id, with no birth date or sex.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from ..model import Claim
from .base import InputError, InputFileError, InputItem, pointer, validation_message
from .json_input import ndjson_lines

__all__ = ["CPT_SYSTEMS", "ICD10_SYSTEMS", "read_fhir"]

ICD10_SYSTEMS = frozenset({"http://hl7.org/fhir/sid/icd-10-cm", "http://hl7.org/fhir/sid/icd-10", "urn:oid:2.16.840.1.113883.6.90"})
ICD9_SYSTEMS = frozenset({"http://hl7.org/fhir/sid/icd-9-cm", "urn:oid:2.16.840.1.113883.6.103"})
CPT_SYSTEMS = frozenset({"http://www.ama-assn.org/go/cpt", "urn:oid:2.16.840.1.113883.6.12"})
HCPCS_SYSTEMS = frozenset({
    "https://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets",
    "urn:oid:2.16.840.1.113883.6.285", "urn:oid:2.16.840.1.113883.6.14",
})
REVENUE_SYSTEMS = frozenset({"https://www.nubc.org/CodeSystem/RevenueCodes", "http://www.nubc.org/CodeSystem/RevenueCodes",
                             "urn:oid:2.16.840.1.113883.6.301.3"})
POS_SYSTEMS = frozenset({"https://www.cms.gov/Medicare/Coding/place-of-service-codes/Place_of_Service_Code_Set",
                         "urn:oid:2.16.840.1.113883.6.50"})
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
_SEX = {"female": "F", "male": "M", "other": "U", "unknown": "U"}
_SYSTEM_NAMES = {"http://snomed.info/sct": "SNOMED CT", "http://hl7.org/fhir/sid/cvx": "CVX (vaccines)",
                 "http://www.nlm.nih.gov/research/umls/rxnorm": "RxNorm", "http://hl7.org/fhir/sid/ndc": "NDC"}


def _address(res: dict[str, Any] | None) -> dict[str, Any] | None:
    """The provider's first address as the 837 carries it: a US ZIP+4 without its hyphen, no country for the US."""
    addresses = [a for a in (res or {}).get("address", []) or [] if isinstance(a, dict)]
    if not addresses:
        return None
    a = addresses[0]
    lines = [str(x) for x in a.get("line", []) or [] if x]
    country = a.get("country")
    us = country is None or str(country).upper() in ("US", "USA", "UNITED STATES")
    zip_code = a.get("postalCode")
    if zip_code is not None and us:
        zip_code = str(zip_code).replace("-", "").replace(" ", "")
    return {"line1": lines[0] if lines else None, "line2": lines[1] if len(lines) > 1 else None,
            "city": a.get("city"), "state": a.get("state"), "zip": zip_code, "country": None if us else country}


def _fhir_claim_model() -> Any:
    try:
        from fhir.resources.R4B.claim import Claim as FhirClaim  # noqa: PLC0415 - optional, slow import
    except ImportError:
        raise InputFileError(
            "reading FHIR needs the optional 'fhir.resources' package: pip install 'claimscrub[fhir]'", "fhir"
        ) from None
    return FhirClaim


class _Problems:
    """Problems of one claim, each with its JSON pointer; the first becomes the item's location."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.items: list[tuple[str, str]] = []

    def add(self, message: str, *path: Any) -> None:
        self.items.append((message, self.base + pointer(list(path))))

    def error(self) -> InputError:
        msg, loc = self.items[0]
        if len(self.items) > 1:
            rest = "; ".join(f"#{loc.rpartition('#')[2]}: {m}" for m, loc in self.items[1:4])
            msg += f" (and {len(self.items) - 1} more: {rest}{'...' if len(self.items) > 4 else ''})"
        return InputError(msg, loc)


def _system_name(system: str | None) -> str:
    return _SYSTEM_NAMES.get(system or "", system or "no system")


def _date(value: Any) -> str | None:
    return value[:10] if isinstance(value, str) and len(value) >= 10 else None


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


class _Context:
    """Resources beside the claims (Bundle entries, contained resources) to resolve references against."""

    def __init__(self, resources: list[dict[str, Any]]) -> None:
        self.by_ref: dict[str, dict[str, Any]] = {}
        for res in resources:
            self.add(res)

    def add(self, res: dict[str, Any], full_url: str | None = None) -> None:
        rtype, rid = res.get("resourceType"), res.get("id")
        if rtype and rid:
            self.by_ref[f"{rtype}/{rid}"] = res
        if full_url:
            self.by_ref[full_url] = res

    def resolve(self, ref: Any, claim: dict[str, Any]) -> dict[str, Any] | None:
        if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
            return None
        target = ref["reference"]
        if target.startswith("#"):
            for res in claim.get("contained", []) or []:
                if isinstance(res, dict) and res.get("id") == target[1:]:
                    return res
            return None
        return self.by_ref.get(target)


def _npi(res: dict[str, Any] | None, ref: dict[str, Any] | None) -> str | None:
    idents = list((res or {}).get("identifier", []) or [])
    if ref and isinstance(ref.get("identifier"), dict):
        idents.append(ref["identifier"])
    for ident in idents:
        if isinstance(ident, dict) and ident.get("system") == NPI_SYSTEM and ident.get("value"):
            return str(ident["value"])
    return None


def _map_claim(res: dict[str, Any], ctx: _Context, problems: _Problems) -> dict[str, Any]:
    """The FHIR Claim as a claim-model dict; problems are recorded with their pointers."""
    out: dict[str, Any] = {}
    idents = [i for i in res.get("identifier", []) or [] if isinstance(i, dict) and i.get("value")]
    out["claim_id"] = str(idents[0]["value"]) if idents else str(res.get("id") or "")
    if not out["claim_id"]:
        problems.add("claim has neither identifier nor id", "id")
    codes = [c.get("code") for c in (res.get("type") or {}).get("coding", []) or [] if isinstance(c, dict)]
    ctype = next((c for c in codes if c in ("professional", "institutional")), None)
    if ctype is None:
        problems.add(f"claim type {codes[0] if codes else None!r} is not supported: claimscrub scrubs professional "
                     "and institutional claims", "type")
        ctype = "professional"
    out["type"] = ctype
    period = res.get("billablePeriod") or {}
    out["statement_from"], out["statement_to"] = _date(period.get("start")), _date(period.get("end"))
    out["submission_date"] = _date(res.get("created"))
    total = res.get("total") or {}
    out["total_charge"] = _decimal(total.get("value"))

    patient_ref = res.get("patient") or {}
    patient = ctx.resolve(patient_ref, res)
    pid = str(patient_ref.get("reference", "")).rpartition("/")[2] or None
    out["patient"] = {"id": (patient or {}).get("id") or pid}
    if patient:
        out["patient"]["birth_date"] = _date(patient.get("birthDate"))
        if patient.get("gender") in _SEX:
            out["patient"]["sex"] = _SEX[patient["gender"]]

    prov_ref = res.get("provider") or {}
    prov = ctx.resolve(prov_ref, res)
    out["billing_provider"] = {"npi": _npi(prov, prov_ref), "name": prov_ref.get("display") or (prov or {}).get("name")}
    address = _address(prov)
    if address:
        out["billing_provider"]["address"] = address

    ins = [i for i in res.get("insurance", []) or [] if isinstance(i, dict)]
    focal = next((i for i in ins if i.get("focal")), ins[0] if ins else None)
    if focal:
        cov = focal.get("coverage") or {}
        out["payer"] = {"name": cov.get("display")}
    pa = [p for i in ins for p in i.get("preAuthRef", []) or []]
    if pa:
        out["prior_authorization"] = str(pa[0])

    # Diagnoses, in sequence order; remember where each sequence number landed for the items' pointers.
    diagnoses: list[dict[str, Any]] = []
    seq_pos: dict[int, int] = {}
    for i, dg in enumerate(res.get("diagnosis", []) or []):
        concept = dg.get("diagnosisCodeableConcept")
        where: tuple[Any, ...] = ("diagnosis", i, "diagnosisCodeableConcept")
        if concept is None and dg.get("diagnosisReference") is not None:
            cond = ctx.resolve(dg["diagnosisReference"], res)
            if cond is None:
                problems.add(f"diagnosis references {dg['diagnosisReference'].get('reference')!r}, which is not in the "
                             "file: send diagnosisCodeableConcept with an ICD-10-CM code, or a Bundle holding the "
                             "Condition", "diagnosis", i, "diagnosisReference")
                continue
            concept, where = cond.get("code") or {}, ("diagnosis", i, "diagnosisReference")
        codings = [c for c in (concept or {}).get("coding", []) or [] if isinstance(c, dict)]
        icd = next((c for c in codings if c.get("system") in ICD10_SYSTEMS and c.get("code")), None)
        version = "icd10"
        if icd is None:
            icd = next((c for c in codings if c.get("system") in ICD9_SYSTEMS and c.get("code")), None)
            version = "icd9"
        if icd is None:
            found = ", ".join(sorted({_system_name(c.get("system")) for c in codings})) or "no coding"
            problems.add(f"diagnosis has no ICD-10-CM code (found {found}); claim edits need ICD-10-CM", *where)
            continue
        types = {c.get("code") for t in dg.get("type", []) or [] for c in t.get("coding", []) or []}
        principal = "principal" in types or (not diagnoses and not types)
        qual = ("ABK" if principal else "ABF") if version == "icd10" else ("BK" if principal else "BF")
        entry: dict[str, Any] = {"code": icd["code"], "qualifier": qual, "version": version}
        poa = [c.get("code") for c in (dg.get("onAdmission") or {}).get("coding", []) or []]
        if poa and poa[0]:
            entry["poa"] = str(poa[0]).upper()[:1]
        diagnoses.append(entry)
        seq_pos[int(dg.get("sequence") or i + 1)] = len(diagnoses)
    out["diagnoses"] = diagnoses

    lines: list[dict[str, Any]] = []
    for i, item in enumerate(res.get("item", []) or []):
        line: dict[str, Any] = {"number": item.get("sequence") or i + 1}
        codings = [c for c in (item.get("productOrService") or {}).get("coding", []) or [] if isinstance(c, dict)]
        proc = next((c for c in codings if c.get("system") in CPT_SYSTEMS | HCPCS_SYSTEMS and c.get("code")), None)
        rev = next((c for c in (item.get("revenue") or {}).get("coding", []) or []
                    if isinstance(c, dict) and c.get("system") in REVENUE_SYSTEMS), None)
        if rev:
            line["revenue_code"] = rev.get("code")
        if proc:
            line["code"] = proc["code"]
        elif rev and ctype == "institutional":
            line["code"], line["code_system"] = rev.get("code"), "NU"
        else:
            found = ", ".join(f"{_system_name(c.get('system'))} {c.get('code')}" for c in codings) or "no coding"
            problems.add(f"productOrService has no CPT/HCPCS code (found {found}); claimscrub checks CPT/HCPCS lines",
                         "item", i, "productOrService", "coding")
            continue
        line["modifiers"] = [c.get("code") for m in item.get("modifier", []) or []
                             for c in (m.get("coding", []) or [])[:1] if c.get("code")]
        if item.get("servicedDate"):
            line["service_date_from"] = line["service_date_to"] = _date(item["servicedDate"])
        elif item.get("servicedPeriod"):
            line["service_date_from"] = _date(item["servicedPeriod"].get("start"))
            line["service_date_to"] = _date(item["servicedPeriod"].get("end")) or line["service_date_from"]
        qty = _decimal((item.get("quantity") or {}).get("value"))
        if qty is not None:
            line["units"] = qty
        net = _decimal((item.get("net") or {}).get("value"))
        price = _decimal((item.get("unitPrice") or {}).get("value"))
        if net is not None:
            line["charge"] = net
        elif price is not None:
            line["charge"] = price * (qty if qty is not None else 1)
        pos = [c.get("code") for c in (item.get("locationCodeableConcept") or {}).get("coding", []) or []
               if c.get("system") in POS_SYSTEMS]
        if pos:
            line["place_of_service"] = pos[0]
        ptrs = []
        for k, seq in enumerate(item.get("diagnosisSequence", []) or []):
            if seq in seq_pos:
                ptrs.append(seq_pos[seq])
            elif not any(msg.startswith("diagnosis") for msg, _ in problems.items):
                problems.add(f"diagnosisSequence {seq} matches no diagnosis.sequence", "item", i, "diagnosisSequence", k)
        line["diagnosis_pointers"] = ptrs
        line["source"] = {"pointer": f"/item/{i}"}
        lines.append(line)
    out["lines"] = lines
    return out


def _claim_item(res: Any, ctx: _Context, source: dict[str, Any], base: str, fhir_model: Any) -> InputItem:
    cid = None
    if isinstance(res, dict):
        cid = str(res.get("id")) if res.get("id") is not None else None
    if not isinstance(res, dict):
        return InputItem(None, source, InputError(f"expected a Claim resource, got {type(res).__name__}", base), cid)
    try:
        fhir_model.model_validate(res)
    except ValidationError as exc:
        msg, loc = validation_message(exc)
        return InputItem(None, source, InputError(f"not a valid FHIR R4 Claim: {msg}", base + loc), cid)
    problems = _Problems(base)
    data = _map_claim(res, ctx, problems)
    cid = data.get("claim_id") or cid
    if problems.items:
        return InputItem(None, source, problems.error(), cid)
    data["source"] = source
    try:
        claim = Claim.model_validate(data)
    except ValidationError as exc:
        msg, loc = validation_message(exc)
        return InputItem(None, source, InputError(msg, f"{base} (mapped claim){loc}"), cid)
    return InputItem(claim, source, None, claim.claim_id)


def _load_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"not valid JSON: {exc.msg}", f"{name}:{exc.lineno}:{exc.colno}") from None


def read_fhir(text: str, name: str) -> Iterator[InputItem]:
    """Yield one InputItem per FHIR Claim in a Claim, a Bundle, a JSON array of resources, or NDJSON."""
    fhir_model = _fhir_claim_model()
    text = text.lstrip("\ufeff")
    stripped = text.strip()
    lines = [ln for ln in stripped.splitlines() if ln.strip()]
    ndjson = len(lines) > 1 and lines[0].lstrip().startswith("{") and lines[0].rstrip().endswith("}")
    if ndjson:
        try:
            json.loads(lines[0])
        except json.JSONDecodeError:
            ndjson = False
    seen_types: dict[str, int] = {}
    count = 0
    if ndjson:
        ctx = _Context([])
        index = 0
        for lineno, res in ndjson_lines(text, name):
            source = {"file": name, "line": lineno, "index": index}
            if isinstance(res, InputError):
                count += 1
                yield InputItem(None, source, res)
                index += 1
                continue
            rtype = res.get("resourceType") if isinstance(res, dict) else None
            if rtype != "Claim":
                seen_types[str(rtype)] = seen_types.get(str(rtype), 0) + 1
                continue
            count += 1
            yield _claim_item(res, ctx, source, f"{name}:{lineno}#", fhir_model)
            index += 1
    else:
        data = _load_json(text, name)
        entries: list[tuple[Any, str]]
        if isinstance(data, dict) and data.get("resourceType") == "Bundle":
            entries = [(e.get("resource"), f"/entry/{i}/resource") for i, e in enumerate(data.get("entry", []) or [])
                       if isinstance(e, dict)]
            ctx = _Context([])
            for e in data.get("entry", []) or []:
                if isinstance(e, dict) and isinstance(e.get("resource"), dict):
                    ctx.add(e["resource"], e.get("fullUrl"))
        elif isinstance(data, list):
            entries = [(r, f"/{i}") for i, r in enumerate(data)]
            ctx = _Context([r for r in data if isinstance(r, dict)])
        else:
            entries = [(data, "")]
            ctx = _Context([])
        index = 0
        for res, ptr in entries:
            rtype = res.get("resourceType") if isinstance(res, dict) else None
            if rtype != "Claim":
                seen_types[str(rtype)] = seen_types.get(str(rtype), 0) + 1
                continue
            count += 1
            source = {"file": name, "index": index, "pointer": ptr or "/"}
            yield _claim_item(res, ctx, source, f"{name}#{ptr}", fhir_model)
            index += 1
    if count == 0:
        found = ", ".join(f"{n} {t}" for t, n in seen_types.items()) or "nothing"
        raise InputFileError(f"no FHIR Claim resources found (found {found}); claimscrub reads Claim, a Bundle of "
                             "Claims, or NDJSON of Claims", f"{name}#")
