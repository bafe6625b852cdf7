"""An in-memory `TableSource` built from plain row dicts, for rule-pack examples and unit tests.

    tables = MemoryTables.from_rows({
        "ncci-ptp": [{"column1": "17000", "column2": "11102", "effective": "2020-01-01", "deletion": None,
                      "modifier_indicator": "1", "rationale": "Mutually exclusive procedures"}],
        "mue": [{"code": "11102", "value": 1, "mai": 2}],
        "addon": [{"code": "11103", "type": 1, "primaries": ["11102"]}],
        "mce": [{"code": "O80", "edits": ["Maternity_Only", "Female_Only"]}],
        "csv:prior-auth": [{"key": "97110", "requires_auth": True, "effective": "2026-01-01"}],
    })

Rows go through the same compact tables as imported files, so lookups behave identically. PTP and MUE rows
apply to both settings unless they name one (``"setting": "practitioner"``). Provenance names the source
"memory" (or ``source=``) and the row's position in its list as the line. Without an ``icd10cm`` entry the
real ICD-10-CM release from `simple-icd-10-cm` answers; ``icd10cm`` rows, when given, overlay it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from .common import (
    ALL,
    DME,
    HOSPITAL,
    NO_DATE,
    PRACTITIONER,
    Period,
    day_number,
    normalize_icd10,
    normalize_setting,
    parse_date,
)
from .icd10 import package_available, package_table
from .importers.mce import EDIT_TYPES
from .ptp import MODIFIER_BITS, PtpBuilder
from .records import Excludes1Hit, Icd10Info, Provenance
from .simple import CONTRACTOR_DEFINED, AddonTable, CsvTable, MceTable, MueTable
from .source import TablesBase

OPEN = Period("memory", date(1900, 1, 1), None)
_MAI_TEXT = {1: "1 Line Edit", 2: "2 Date of Service Edit: Policy", 3: "3 Date of Service Edit: Clinical"}
_AGE_EDIT = {"newborn": "Newborn_Only", "pediatric": "Pediatric_Only", "maternity": "Maternity_Only", "adult": "Adult_Only"}


def _settings(row: Mapping[str, Any], choices: tuple[str, ...]) -> tuple[str, ...]:
    s = row.get("setting")
    if s in (None, "", "all", "both"):
        return choices
    return (normalize_setting(str(s)),)


def _day(value: Any, *, none: int = NO_DATE) -> int:
    d = parse_date(value)
    return none if d is None else day_number(d)


class MemoryTables(TablesBase):
    """`TableSource` over rows given in code; see the module docstring for the row shapes."""

    @classmethod
    def from_rows(
        cls, rows: Mapping[str, Any], *, version: str = "memory", source: str = "memory",
        effective: date | None = None, icd10_fallback: bool = True,
    ) -> MemoryTables:
        t = cls()
        t._icd_fallback = icd10_fallback
        period = Period(version, effective, None) if effective else Period(version, OPEN.start, None)
        for kind, value in rows.items():
            if kind == "ncci-ptp":
                t._load_ptp(value, version, source, period)
            elif kind == "mue":
                t._load_mue(value, version, source, period)
            elif kind == "addon":
                t._load_addon(value, version, source, period)
            elif kind == "mce":
                t._load_mce(value, version, source, period)
            elif kind == "icd10cm":
                t._load_icd10(value)
            elif kind.startswith("csv:"):
                t._load_csv(kind[4:], value, version, source, period)
            elif kind == "csv" and isinstance(value, Mapping):
                for name, table in value.items():
                    t._load_csv(name, table, version, source, period)
            else:
                raise ValueError(f"unknown table kind {kind!r} (ncci-ptp, mue, addon, mce, icd10cm, csv:<name>)")
        return t

    # ----------------------------------------------------------------------------------------------- kinds

    def _base(self, kind: str, version: str, source: str, period: Period, setting: str = ALL) -> dict[str, Any]:
        return {"kind": kind, "kind_label": kind, "version": version, "setting": setting, "period": period.as_dict(),
                "sources": [source]}

    def _load_ptp(self, rows: Iterable[Mapping[str, Any]], version: str, source: str, period: Period) -> None:
        builders: dict[str, PtpBuilder] = {}
        for n, r in enumerate(rows, 1):
            mod = str(r.get("modifier_indicator", r.get("modifier", "0")))
            bits = MODIFIER_BITS.get(mod)
            if bits is None:
                raise ValueError(f"ncci-ptp row {n}: modifier_indicator must be 0, 1 or 9, not {mod!r}")
            eff = _day(r.get("effective"), none=0)
            dele = _day(r.get("deletion"))
            for setting in _settings(r, (PRACTITIONER, HOSPITAL)):
                b = builders.get(setting)
                if b is None:
                    b = builders[setting] = PtpBuilder(version, setting, period)
                    b.source_slot(source)
                flags = bits | (4 if r.get("prior_1996") else 0)
                b.add(b.code_id(str(r["column1"]).strip().upper()), b.code_id(str(r["column2"]).strip().upper()),
                      eff, dele, flags, 0, b.rationale_id(str(r.get("rationale", ""))), n)
        for setting, b in builders.items():
            table = b.build()
            self._setting_set(self._ptp, setting).add(period.start, version, lambda t=table: t)
            self._mark("ncci-ptp", setting)

    def _load_mue(self, rows: Iterable[Mapping[str, Any]], version: str, source: str, period: Period) -> None:
        per: dict[str, dict[str, Any]] = {}
        for n, r in enumerate(rows, 1):
            mai_raw = r.get("mai", 1)
            mai = int(str(mai_raw).strip()[0])
            mai_text = str(r.get("mai_text") or (mai_raw if isinstance(mai_raw, str) and len(mai_raw) > 1 else _MAI_TEXT[mai]))
            for setting in _settings(r, (PRACTITIONER, HOSPITAL, DME)):
                p = per.setdefault(setting, {"rows": {}, "texts": [], "_ids": {}})
                ids = p["_ids"]
                for text in (mai_text, str(r.get("rationale", ""))):
                    if text not in ids:
                        ids[text] = len(p["texts"])
                        p["texts"].append(text)
                code = str(r["code"]).strip().upper()
                p["rows"][code] = (int(r["value"]), mai, ids[mai_text], ids[str(r.get("rationale", ""))], n)
        for setting, p in per.items():
            p.pop("_ids")
            table = MueTable({**self._base("mue", version, source, period, setting), **p})
            self._setting_set(self._mue, setting).add(period.start, version, lambda t=table: t)
            self._mark("mue", setting)

    def _load_addon(self, rows: Iterable[Mapping[str, Any]], version: str, source: str, period: Period) -> None:
        out: dict[str, list[tuple[str, int, int, int, int, int, int]]] = {}
        for n, r in enumerate(rows, 1):
            code = str(r["code"]).strip().upper()
            primaries = r.get("primaries")
            if primaries is None:
                primaries = [r["primary"]] if r.get("primary") else []
            eff, dele = _day(r.get("effective"), none=0), _day(r.get("deletion"))
            lst = out.setdefault(code, [])
            for prim in primaries or [CONTRACTOR_DEFINED]:
                lst.append((str(prim).strip().upper(), int(r.get("type", 1)), eff, dele, NO_DATE, NO_DATE, n))
        table = AddonTable({**self._base("addon", version, source, period), "rows": out})
        self._addon.add(period.start, version, lambda t=table: t)
        self._mark("addon")

    def _load_mce(self, rows: Iterable[Mapping[str, Any]], version: str, source: str, period: Period) -> None:
        names = list(EDIT_TYPES)
        out: dict[str, tuple[int, int]] = {}
        for n, r in enumerate(rows, 1):
            edits = list(r.get("edits") or ([r["edit"]] if r.get("edit") else []))
            if r.get("age_class"):
                edits.append(_AGE_EDIT[str(r["age_class"])])
            if r.get("sex"):
                edits.append("Female_Only" if str(r["sex"]).upper().startswith("F") else "Male_Only")
            if r.get("manifestation"):
                edits.append("Principal_Manifestation")
            if r.get("unacceptable_principal"):
                edits.append("Principal_Unacceptable")
            if r.get("questionable_admission"):
                edits.append("Principal_Questionable_Admit")
            mask = 0
            for e in edits:
                if e not in names:
                    names.append(e)
                mask |= 1 << names.index(e)
            key = str(r.get("code_type", "D")).upper() + str(r["code"]).strip().upper().replace(".", "")
            old = out.get(key, (0, n))
            out[key] = (old[0] | mask, old[1])
        table = MceTable({**self._base("mce", version, source, period), "rows": out, "edit_names": names,
                          "mce_version": None})
        self._mce.add(period.start, version, lambda t=table: t)
        self._mark("mce")

    def _load_icd10(self, value: Any) -> None:
        if value in (None, True, "package"):
            return  # the package release answers (fallback)
        rows = [{"code": k, **v} for k, v in value.items()] if isinstance(value, Mapping) else list(value)
        overlay = Icd10Overlay(rows, package_table() if self._icd_fallback and package_available() else None)
        self._icd.add(OPEN.start, overlay.version, lambda t=overlay: t)
        self._mark("icd10cm")

    def _load_csv(self, name: str, value: Any, version: str, source: str, period: Period) -> None:
        key_cols: list[str] | None = None
        rows_in = value
        if isinstance(value, Mapping):
            key_cols = [value["key"]] if isinstance(value.get("key"), str) else value.get("key")
            rows_in = value["rows"]
        columns: list[str] = []
        parsed: dict[str, list[tuple[int, int, dict[str, Any], int]]] = {}
        for n, r in enumerate(rows_in, 1):
            r = dict(r)
            start = r.pop("effective", r.pop("effective_from", None))
            end = r.pop("termination", r.pop("effective_to", None))
            key = "|".join(str(r[k]) for k in key_cols) if key_cols else str(r.pop("key"))
            for c in r:
                if c not in columns:
                    columns.append(c)
            parsed.setdefault(key, []).append((_day(start, none=-1), _day(end, none=-1), r, n))
        rows = {k: sorted(((s, e, tuple(v.get(c) for c in columns), n) for s, e, v, n in lst), key=lambda x: x[0])
                for k, lst in parsed.items()}
        table = CsvTable({**self._base(f"csv:{name}", version, source, period), "name": name, "columns": columns,
                          "types": ["any"] * len(columns), "rows": rows})
        self._csv_set(name).add(period.start, version, lambda t=table: t)
        self._mark("csv")
        self._mark(f"csv:{name}")


class Icd10Overlay:
    """ICD-10 rows given in code, in front of the real release (if available) for every other code."""

    def __init__(self, rows: list[Mapping[str, Any]], base: Any | None) -> None:
        self.base = base
        self.version = "memory"
        self.release = base.release if base is not None else "ICD-10-CM (memory)"
        self.period = OPEN
        self._prov = Provenance("icd10cm", "memory", "memory", None, None, None)
        self._info: dict[str, Icd10Info] = {}
        self._ex1: dict[str, list[str]] = {}
        for r in rows:
            code = normalize_icd10(str(r["code"]))
            billable = bool(r.get("billable", not r.get("header", False)))
            self._info[code] = Icd10Info(
                code=code, valid=bool(r.get("valid", True)), billable=billable, header=bool(r.get("header", not billable)),
                chapter=r.get("chapter"), block=r.get("block"), manifestation=bool(r.get("manifestation", False)),
                release=self.release, provenance=self._prov, code_first=bool(r.get("code_first", r.get("manifestation", False))),
                description=str(r.get("description", "")),
            )
            if r.get("excludes1"):
                self._ex1[code] = [normalize_icd10(str(x).replace(".-", "").rstrip("-")) for x in r["excludes1"]]

    def get(self, code: str) -> Icd10Info | None:
        norm = normalize_icd10(code)
        hit = self._info.get(norm)
        if hit is not None:
            return hit
        if self.base is not None:
            return self.base.get(code)
        return Icd10Info(norm, False, False, False, None, None, False, self.release, self._prov)

    def _one_way(self, a: str, b: str) -> Excludes1Hit | None:
        for owner, refs in self._ex1.items():
            if a == owner or a.startswith(owner):
                for ref in refs:
                    if b == ref or b.startswith(ref):
                        return Excludes1Hit(a, b, f"excludes1 {ref}", owner, self._prov)
        return None

    def excludes1(self, code: str, other: str) -> Excludes1Hit | None:
        a, b = normalize_icd10(code), normalize_icd10(other)
        if a == b:
            return None
        hit = self._one_way(a, b) or self._one_way(b, a)
        if hit is None and self.base is not None:
            hit = self.base.excludes1(a, b)
        return hit
