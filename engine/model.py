"""The claim model: one shape for 837P, 837I, FHIR and JSON input.

Rules see these objects directly (compiled code reads attributes), so field names here are the
field names of the DSL. Codes are normalised on the way in (upper case, trimmed, ICD-10 dotted) so
that rules never have to care how a sender wrote them.
"""

from __future__ import annotations

import datetime as _dt
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

PHI_FIELDS = frozenset({"birth_date", "member_id", "patient.id", "first_name", "last_name", "name"})


class ClaimType(StrEnum):
    professional = "professional"
    institutional = "institutional"


def normalize_code(value: str) -> str:
    return value.strip().upper()


def normalize_icd10(value: str) -> str:
    """ICD-10-CM codes arrive with or without the dot (837 HI sends E119); store the dotted form."""
    code = value.strip().upper().replace(" ", "")
    if "." not in code and len(code) > 3:
        code = code[:3] + "." + code[3:]
    return code.rstrip(".")


class _Base(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False, str_strip_whitespace=True)


class Payer(_Base):
    id: str | None = Field(None, description="Payer id (837 2010BB NM1*PR NM109).")
    name: str | None = None


class Patient(_Base):
    id: str | None = Field(None, description="Patient account or member id (PHI).")
    birth_date: date | None = Field(None, description="Date of birth (PHI).")
    sex: Literal["F", "M", "U"] | None = Field(None, description="Administrative sex as on the 837 DMG03.")
    relationship: str | None = Field(None, description="Relationship to subscriber (837 PAT01 / SBR02), '18' = self.")

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, v: Any) -> Any:
        if isinstance(v, str):
            v = v.strip().upper()[:1]
            return v or None
        return v


class Subscriber(_Base):
    member_id: str | None = Field(None, description="Subscriber/member id (PHI).")
    group_number: str | None = None


class Address(_Base):
    """A provider's address (837 N3/N4). Patients' addresses are PHI and are not read."""

    line1: str | None = Field(None, description="N301 address line.")
    line2: str | None = Field(None, description="N302 second address line.")
    city: str | None = Field(None, description="N401 city.")
    state: str | None = Field(None, description="N402 state or province code.")
    zip: str | None = Field(None, description="N403 postal code (ZIP+4 as 9 digits for a US billing provider).")
    country: str | None = Field(None, description="N404 country code; absent for US addresses.")


class Provider(_Base):
    npi: str | None = Field(None, description="10-digit National Provider Identifier.")
    taxonomy: str | None = None
    tax_id: str | None = None
    name: str | None = None
    address: Address | None = Field(None, description="Billing provider address (837 2010AA N3/N4).")


class Attachment(_Base):
    """A claim attachment announced in the 837 (PWK) or FHIR supportingInfo: rules can ask whether one was sent."""

    report_type: str = Field(..., description="PWK01 report type code (e.g. 09 progress report, OZ support data).")
    transmission: str | None = Field(None, description="PWK02: AA available on request, BM by mail, EL electronic, FX fax.")
    control_number: str | None = Field(None, description="PWK06 attachment control number.")
    line: int | None = Field(None, description="Service line number when sent at loop 2400; None at claim level.")


class Diagnosis(_Base):
    code: str
    qualifier: str | None = Field(None, description="837 HI qualifier: ABK principal, ABF other (ICD-10); BK/BF ICD-9.")
    version: Literal["icd10", "icd9"] = "icd10"
    poa: str | None = Field(None, description="Present-on-admission indicator (Y/N/U/W/1).")
    position: int = Field(0, description="1-based position on the claim; assigned from order when absent.")

    @model_validator(mode="after")
    def _norm(self) -> Diagnosis:
        d = self.__dict__  # validators fill in derived values straight into the dict: no re-validation, and
        if self.qualifier in ("BK", "BF", "BJ", "BN"):  # BaseModel.__setattr__ was a third of input time
            d["version"] = "icd9"
        d["code"] = normalize_icd10(self.code) if d["version"] == "icd10" else normalize_code(self.code)
        return self


class ServiceLine(_Base):
    number: int = Field(0, description="Service line number (LX01), 1-based; assigned from order when absent.")
    code: str = Field(..., description="Procedure code (CPT/HCPCS) or revenue code for institutional lines.")
    code_system: str = Field("HC", description="HC = CPT/HCPCS, ER = jurisdiction code, IV = HIEC, N4 = NDC.")
    revenue_code: str | None = Field(None, description="UB-04 revenue code (837I SV201).")
    modifiers: list[str] = Field(default_factory=list, max_length=4)
    units: Decimal = Field(Decimal(1), description="Units of service (SV104 / SV205).")
    unit_type: str = Field("UN", description="UN units, MJ minutes, DA days.")
    charge: Decimal | None = None
    service_date_from: _dt.date | None = None
    service_date_to: _dt.date | None = None
    place_of_service: str | None = None
    diagnosis_pointers: list[int] = Field(default_factory=list, max_length=12)
    rendering_npi: str | None = None
    ndc: str | None = None
    prior_authorization: str | None = None
    source: dict[str, Any] | None = Field(None, description="Where the line came from (segment index of LX).")
    # Resolved from the pointers by the claim validator; not part of input.
    # A default, not default_factory=list: pydantic inspects a factory's signature on every model init
    # (inspect.signature on a builtin parses text: measured 80% of 837 read time); defaults are copied cheaply.
    _diagnoses: list[Diagnosis] = PrivateAttr(default=[])

    @field_validator("code", mode="before")
    @classmethod
    def _code(cls, v: Any) -> Any:
        return normalize_code(v) if isinstance(v, str) else v

    @field_validator("modifiers", mode="before")
    @classmethod
    def _mods(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [normalize_code(m) for m in v if isinstance(m, str) and m.strip()] + [
                m for m in v if not isinstance(m, str)
            ]
        return v

    @property
    def date(self) -> _dt.date | None:
        return self.service_date_from

    @property
    def diagnoses(self) -> list[Diagnosis]:
        """The diagnoses this line points at, in pointer order."""
        return self._diagnoses

    @property
    def dx(self) -> list[str]:
        return [d.code for d in self._diagnoses]


class Claim(_Base):
    claim_id: str = Field(..., description="Patient control number (CLM01) or the sender's claim id.")
    type: ClaimType = ClaimType.professional
    frequency_code: str = Field("1", description="CLM05-3: 1 original, 7 replacement, 8 void.")
    submission_date: date | None = Field(None, description="Date the claim is (or was) submitted (BHT04).")
    payer: Payer = Field(default_factory=Payer)
    patient: Patient = Field(default_factory=Patient)
    subscriber: Subscriber = Field(default_factory=Subscriber)
    billing_provider: Provider = Field(default_factory=Provider)
    rendering_provider: Provider | None = None
    attending_provider: Provider | None = Field(None, description="837I attending provider (2310A NM1*71).")
    place_of_service: str | None = Field(None, description="CLM05-1 facility code (837P place of service).")
    facility_type: str | None = Field(None, description="837I type of bill facility code (CLM05-1).")
    type_of_bill: str | None = Field(None, description="837I type of bill: facility code + frequency (CLM05-1 + CLM05-3).")
    admission_date: date | None = Field(None, description="837I admission date (2300 DTP*435).")
    attachments: list[Attachment] = Field(default_factory=list, description="PWK attachments (claim and line).")
    prior_authorization: str | None = None
    total_charge: Decimal | None = None
    statement_from: date | None = None
    statement_to: date | None = None
    diagnoses: list[Diagnosis] = Field(default_factory=list, max_length=25)
    lines: list[ServiceLine] = Field(default_factory=list)
    source: dict[str, Any] | None = Field(None, description="Where the claim came from (file, control numbers, segment).")

    @field_validator("claim_id", mode="before")
    @classmethod
    def _cid(cls, v: Any) -> Any:
        return str(v) if isinstance(v, int) else v

    @model_validator(mode="after")
    def _resolve(self) -> Claim:
        diagnoses = self.diagnoses
        for i, dx in enumerate(diagnoses, start=1):
            if not dx.position:
                dx.__dict__["position"] = i  # derived values go straight into the dict (see Diagnosis._norm)
        n_dx = len(diagnoses)
        for i, line in enumerate(self.lines, start=1):
            d = line.__dict__
            if not d["number"]:
                d["number"] = i
            if d["service_date_from"] is None:
                d["service_date_from"] = self.statement_from
            if d["service_date_to"] is None:
                d["service_date_to"] = d["service_date_from"]
            if d["place_of_service"] is None:
                d["place_of_service"] = self.place_of_service
            line.__pydantic_private__["_diagnoses"] = [diagnoses[p - 1] for p in d["diagnosis_pointers"] if 0 < p <= n_dx]
        return self

    @property
    def service_date(self) -> date | None:
        """The claim's date of service: the earliest line date, else the statement start."""
        first = None
        for ln in self.lines:
            d = ln.service_date_from
            if d is not None and (first is None or d < first):
                first = d
        return first if first is not None else self.statement_from

    @property
    def line_charge_total(self) -> Decimal:
        return sum((ln.charge for ln in self.lines if ln.charge is not None), Decimal(0))

    @property
    def codes(self) -> list[str]:
        return [ln.code for ln in self.lines]

    @property
    def provider(self) -> Provider:
        return self.billing_provider


def claim_json_schema() -> dict[str, Any]:
    schema = Claim.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://claimscrub.dev/schemas/claim.schema.json"
    return schema
