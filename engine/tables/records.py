"""Records that table lookups return to rules, and the protocol every table source implements.

The DSL checker reads the fields of these dataclasses to type-check `ptp(a.code, b.code, a.date).modifier_indicator`
and friends, so a field added here becomes usable in rules. Every record carries its provenance so a finding can
say which table, file, version and source line it rests on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class Provenance:
    kind: str  # ncci-ptp, mue, addon, mce, icd10cm, csv:<name>
    version: str  # e.g. "v322r0", "2026Q3", "FY2026"
    source_file: str  # official file name, no directories
    line: int | None = None  # 1-based line in the source file; None for derived data
    effective_from: date | None = None
    effective_to: date | None = None

    def cite(self) -> str:
        where = f"{self.source_file}:{self.line}" if self.line else self.source_file
        return f"{self.kind} {self.version} ({where})"


@dataclass(frozen=True, slots=True)
class PtpEdit:
    """One NCCI procedure-to-procedure edit row."""

    column1: str
    column2: str
    effective: date
    deletion: date | None
    modifier_indicator: str  # "0" never bypassable, "1" bypassable with an NCCI-associated modifier, "9" n/a
    rationale: str
    prior_1996: bool
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class MueLimit:
    """One MUE row: max units of a code per line (MAI 1) or per date of service (MAI 2, 3)."""

    code: str
    value: int
    mai: int  # 1 line edit, 2 date-of-service policy, 3 date-of-service clinical
    mai_text: str
    rationale: str
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class AddonEdit:
    """CMS add-on code edit: type 1 needs a listed primary, type 2 has no list, type 3 a partial list."""

    code: str
    type: int
    primaries: frozenset[str]
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class Icd10Info:
    code: str
    valid: bool  # exists in the release in effect
    billable: bool  # a leaf: may be reported on a claim
    header: bool  # exists but is a category/subcategory header
    chapter: str | None
    block: str | None
    manifestation: bool  # has a "code first" note: may not be first-listed
    release: str  # e.g. "ICD-10-CM April 2026"
    provenance: Provenance
    code_first: bool = False  # any "code first" note on the code or its category (broader than manifestation)
    description: str = ""  # ICD-10-CM is public domain, so the title may be shown


@dataclass(frozen=True, slots=True)
class Excludes1Hit:
    """Code `code` carries (directly or from an ancestor) an Excludes1 note that names `excluded`."""

    code: str
    excluded: str
    note: str
    note_owner: str  # the code whose tabular note it is (an ancestor of `code`, or `code` itself)
    provenance: Provenance


@dataclass(frozen=True, slots=True)
class MceInfo:
    code: str
    age_class: str | None  # newborn, pediatric, maternity, adult
    age_min: int | None
    age_max: int | None
    sex: str | None  # "F" or "M" when the code is sex-specific
    manifestation: bool
    unacceptable_principal: bool
    provenance: Provenance
    code_type: str = "D"  # "D" ICD-10-CM diagnosis, "P" ICD-10-PCS procedure
    questionable_admission: bool = False
    edits: frozenset[str] = frozenset()  # every MCE edit type listing the code, e.g. {"Female_Only"}


@dataclass(frozen=True, slots=True)
class TableRow:
    """A row of a generic (csv kind) payer table: LCD covered diagnoses, prior-auth lists, fee schedules."""

    table: str
    key: str
    values: dict[str, Any] = field(default_factory=dict)
    provenance: Provenance | None = None


class TableSource(Protocol):
    """What compiled rules call. `setting` is "practitioner" (837P) or "hospital" (837I)."""

    def ptp(self, column1: str, column2: str, on: date | None, setting: str) -> PtpEdit | None: ...

    def mue(self, code: str, on: date | None, setting: str) -> MueLimit | None: ...

    def addon(self, code: str, on: date | None) -> AddonEdit | None: ...

    def icd10(self, code: str, on: date | None) -> Icd10Info | None: ...

    def excludes1(self, code: str, other: str, on: date | None) -> Excludes1Hit | None: ...

    def mce(self, code: str, on: date | None) -> MceInfo | None: ...

    def lookup(self, table: str, key: str, on: date | None) -> TableRow | None: ...

    def has(self, kind: str) -> bool:
        """Whether a table kind (or "csv:<name>") is loaded; rules that need a missing one are skipped."""
        ...
