"""Types of the condition language and the schema of everything a rule can read.

Record types are derived from the claim model and the table records, so a field added to the model is usable
in rules at once, and the checker's "did you mean" suggestions always list real fields.
"""

from __future__ import annotations

import dataclasses
import types as pytypes
import typing
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from pydantic import BaseModel

from .. import model as M
from ..tables import records as R


@dataclass(frozen=True)
class T:
    kind: str  # str num date bool null any list set record
    elem: T | None = None  # list element
    record: str | None = None  # record type name
    nullable: bool = False

    def __str__(self) -> str:
        base = {"list": f"list of {self.elem}", "record": self.record or "record", "set": "code set"}.get(
            self.kind, self.kind
        )
        return base + ("?" if self.nullable and self.kind not in ("null", "any") else "")

    def opt(self, nullable: bool = True) -> T:
        return dataclasses.replace(self, nullable=nullable)


STR, NUM, DATE, BOOL = T("str"), T("num"), T("date"), T("bool")
NULL, ANY, CODESET = T("null", nullable=True), T("any", nullable=True), T("set")


def list_of(t: T) -> T:
    return T("list", elem=t)


def rec(name: str, nullable: bool = False) -> T:
    return T("record", record=name, nullable=nullable)


@dataclass
class RecordType:
    name: str
    fields: dict[str, T] = field(default_factory=dict)
    doc: dict[str, str] = field(default_factory=dict)
    phi: frozenset[str] = frozenset()


RECORDS: dict[str, RecordType] = {}

_MODEL_NAMES: dict[type, str] = {
    M.Claim: "claim", M.ServiceLine: "line", M.Diagnosis: "diagnosis", M.Patient: "patient",
    M.Provider: "provider", M.Payer: "payer", M.Subscriber: "subscriber", M.Address: "address",
}
_TABLE_NAMES: dict[type, str] = {
    R.PtpEdit: "ptp_edit", R.MueLimit: "mue_limit", R.AddonEdit: "addon_edit", R.Icd10Info: "icd10_info",
    R.Excludes1Hit: "excludes1_hit", R.MceInfo: "mce_info", R.Provenance: "provenance", R.TableRow: "table_row",
}


def _from_annotation(ann: Any) -> T | None:
    nullable = False
    origin = typing.get_origin(ann)
    if origin in (typing.Union, pytypes.UnionType):
        args = [a for a in typing.get_args(ann) if a is not type(None)]
        nullable = len(args) != len(typing.get_args(ann))
        if len(args) != 1:
            return None
        ann = args[0]
        origin = typing.get_origin(ann)
    if origin is typing.Literal:
        return STR.opt(nullable)
    if origin in (list, frozenset, set, tuple):
        (inner,) = typing.get_args(ann)[:1]
        el = _from_annotation(inner)
        return list_of(el) if el else None
    if origin is dict:
        return ANY
    base = {str: STR, int: NUM, Decimal: NUM, float: NUM, date: DATE, bool: BOOL}.get(ann)
    if base is None and isinstance(ann, type):
        if issubclass(ann, str):
            base = STR
        elif ann in _MODEL_NAMES:
            base = rec(_MODEL_NAMES[ann])
        elif ann in _TABLE_NAMES:
            base = rec(_TABLE_NAMES[ann])
    if base is None:
        return None
    return base.opt(nullable) if nullable else base


def _register_model(cls: type[BaseModel], name: str) -> None:
    rt = RecordType(name)
    hints = typing.get_type_hints(cls, include_extras=False)
    for fname, finfo in cls.model_fields.items():
        if fname == "source":
            continue
        t = _from_annotation(hints[fname])
        if t is not None:
            rt.fields[fname] = t
            rt.doc[fname] = finfo.description or ""
    RECORDS[name] = rt


def _register_dataclass(cls: type, name: str) -> None:
    rt = RecordType(name)
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        t = _from_annotation(hints[f.name])
        if t is not None:
            rt.fields[f.name] = t
    RECORDS[name] = rt


for _cls, _name in _MODEL_NAMES.items():
    _register_model(_cls, _name)
for _cls, _name in _TABLE_NAMES.items():
    _register_dataclass(_cls, _name)

# Computed properties of the model that rules may read.
RECORDS["line"].fields.update({"date": DATE.opt(), "diagnoses": list_of(rec("diagnosis")), "dx": list_of(STR)})
RECORDS["line"].doc.update({
    "date": "The line's date of service (service_date_from).",
    "diagnoses": "The diagnoses the line's pointers resolve to, in pointer order.",
    "dx": "The codes of the diagnoses the line points at.",
})
RECORDS["claim"].fields.update({
    "service_date": DATE.opt(), "line_charge_total": NUM, "codes": list_of(STR), "provider": rec("provider"),
})
RECORDS["claim"].doc.update({
    "service_date": "Earliest line date of service (else the statement start date).",
    "line_charge_total": "Sum of the line charges.",
    "codes": "Procedure codes of all lines, in line order.",
    "provider": "The billing provider.",
})
RECORDS["table_row"].fields["values"] = ANY
RECORDS["patient"].phi = frozenset({"id", "birth_date"})
RECORDS["subscriber"].phi = frozenset({"member_id", "group_number"})


# ---- global names ----------------------------------------------------------------------------------------------

GLOBALS: dict[str, T] = {
    "claim": rec("claim"),
    "patient": rec("patient"),
    "subscriber": rec("subscriber"),
    "payer": rec("payer"),
    "provider": rec("provider"),
    "rendering": rec("provider", nullable=True),
    "lines": list_of(rec("line")),
    "diagnoses": list_of(rec("diagnosis")),
    "as_of": DATE,
}
GLOBAL_DOCS = {
    "claim": "The claim.", "patient": "claim.patient", "subscriber": "claim.subscriber", "payer": "claim.payer",
    "provider": "claim.billing_provider", "rendering": "claim.rendering_provider",
    "lines": "claim.lines", "diagnoses": "claim.diagnoses",
    "as_of": "The processing date (scrub --as-of, default today): use it for timely filing.",
}

SCOPE_VARS: dict[str, dict[str, T]] = {
    "claim": {},
    "line": {"line": rec("line")},
    "pair": {"a": rec("line"), "b": rec("line")},
    "diagnosis": {"dx": rec("diagnosis")},
}

# ---- functions ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Func:
    name: str
    params: tuple[T, ...]
    result: T
    doc: str
    optional: int = 0  # how many trailing params may be omitted
    table: str | None = None  # table kind this function reads


OPT_DATE = DATE.opt()
FUNCS: dict[str, Func] = {f.name: f for f in [
    Func("len", (ANY,), NUM, "Number of items in a list or set, or characters in a string."),
    Func("age", (OPT_DATE, OPT_DATE), NUM.opt(), "Age in whole years on a date: age(patient.birth_date, line.date).", 1),
    Func("age_days", (OPT_DATE, OPT_DATE), NUM.opt(), "Age in days on a date (newborn edits).", 1),
    Func("days_between", (OPT_DATE, OPT_DATE), NUM.opt(), "Days from the first date to the second (negative if earlier)."),
    Func("add_days", (OPT_DATE, NUM), OPT_DATE, "A date plus a number of days."),
    Func("npi_valid", (STR.opt(),), BOOL, "NPI is 10 digits with a valid Luhn check digit (prefix 80840)."),
    Func("digits", (STR.opt(),), BOOL, "The text is all digits."),
    Func("startswith", (STR.opt(), STR), BOOL, "The text starts with the prefix."),
    Func("endswith", (STR.opt(), STR), BOOL, "The text ends with the suffix."),
    Func("matches", (STR.opt(), STR), BOOL,
         'The whole text matches the regular expression (Python re syntax): matches(line.ndc, "[0-9]{11}").'),
    Func("upper", (STR.opt(),), STR.opt(), "Upper-case text."),
    Func("abs", (NUM.opt(),), NUM.opt(), "Absolute value."),
    Func("coalesce", (ANY, ANY), ANY, "The first argument unless it is null, else the second."),
    Func("duplicates", (list_of(STR),), list_of(STR), "Items that occur more than once, in first-seen order."),
    Func("ptp", (STR, STR, OPT_DATE), rec("ptp_edit", True),
         "NCCI PTP edit with column 1 = first code, column 2 = second, active on the date (default: date of service).",
         1, "ncci-ptp"),
    Func("mue", (STR, OPT_DATE), rec("mue_limit", True), "MUE value and MAI of a code in effect on the date.", 1, "mue"),
    Func("addon", (STR, OPT_DATE), rec("addon_edit", True), "Add-on code edit of a code (type and primaries).", 1,
         "addon"),
    Func("icd10", (STR, OPT_DATE), rec("icd10_info", True),
         "ICD-10-CM facts about a code in the release in effect: valid, billable, header, manifestation...", 1,
         "icd10cm"),
    Func("excludes1", (STR, STR, OPT_DATE), rec("excludes1_hit", True),
         "The Excludes1 note (either direction) that forbids coding the two diagnoses together, or null.", 1,
         "icd10cm"),
    Func("mce", (STR, OPT_DATE), rec("mce_info", True), "MCE age/sex class of a diagnosis code.", 1, "mce"),
    Func("lookup", (STR, STR, OPT_DATE), rec("table_row", True),
         "Row of a named payer table (csv kind) by key, or null: lookup(\"prior_auth\", line.code).", 1, "csv"),
    Func("in_table", (STR, STR, OPT_DATE), BOOL, "Whether a key is in a named payer table.", 1, "csv"),
]}

KEYWORDS = frozenset({
    "and", "or", "not", "in", "is", "null", "has", "modifier", "any", "all", "none", "no", "count", "sum", "for",
    "where", "between", "true", "false", "if", "then", "else",
})


def field_type(record: str, name: str) -> T | None:
    rt = RECORDS.get(record)
    return rt.fields.get(name) if rt else None


def is_numeric(t: T) -> bool:
    return t.kind in ("num", "any")


def compatible(a: T, b: T) -> bool:
    """Whether values of the two types can be compared for equality or order."""
    if a.kind in ("any", "null") or b.kind in ("any", "null"):
        return True
    if a.kind == "list" and b.kind == "list":
        return compatible(a.elem or ANY, b.elem or ANY)
    return a.kind == b.kind and (a.kind != "record" or a.record == b.record)
