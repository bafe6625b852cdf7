"""The `TableSource` implementation shared by the store-backed and in-memory sources.

Both fill the same maps of `VersionSet`s; every protocol method is a couple of dict probes, a version pick
(a bisect over a handful of quarters, skipped when there is one) and the table's own lookup.
"""

from __future__ import annotations

from datetime import date

from .base import VersionSet
from .common import SETTING_ALIASES
from .icd10 import Icd10Table, package_available, package_table
from .ptp import PtpTable
from .records import AddonEdit, Excludes1Hit, Icd10Info, MceInfo, MueLimit, PtpEdit, TableRow
from .simple import AddonTable, CsvTable, MceTable, MueTable


class Icd10Like:
    """What the ICD-10 lookups need (an `Icd10Table` or an overlay on one)."""

    def get(self, code: str) -> Icd10Info | None: ...

    def excludes1(self, code: str, other: str) -> Excludes1Hit | None: ...


class TablesBase:
    """Implements `records.TableSource` over per-kind `VersionSet`s filled by a subclass."""

    def __init__(self) -> None:
        self._ptp: dict[str, VersionSet[PtpTable]] = {}
        self._mue: dict[str, VersionSet[MueTable]] = {}
        self._addon: VersionSet[AddonTable] = VersionSet()
        self._mce: VersionSet[MceTable] = VersionSet()
        self._icd: VersionSet[Icd10Like] = VersionSet()
        self._csv: dict[str, VersionSet[CsvTable]] = {}
        self._kinds: set[str] = set()
        self._icd_fallback = True  # use the simple-icd-10-cm release when no ICD-10 table was imported

    # ------------------------------------------------------------------------------------------- filling

    def _setting_set(self, target: dict[str, VersionSet], setting: str) -> VersionSet:
        vs = target.get(setting)
        if vs is None:
            vs = VersionSet()
            for alias, canonical in SETTING_ALIASES.items():
                if canonical == setting:
                    target[alias] = vs
                    target[alias.upper()] = vs
            target[setting] = vs
        return vs

    def _csv_set(self, name: str) -> VersionSet:
        vs = self._csv.get(name)
        if vs is None:
            vs = self._csv[name] = self._csv[f"csv:{name}"] = VersionSet()
        return vs

    def _mark(self, kind: str, setting: str | None = None) -> None:
        self._kinds.add(kind)
        if setting and setting != "all":
            self._kinds.add(f"{kind}/{setting}")

    # ---------------------------------------------------------------------------------------- TableSource

    def ptp(self, column1: str, column2: str, on: date | None, setting: str) -> PtpEdit | None:
        vs = self._ptp.get(setting)
        if vs is None:
            return None
        table = vs.pick(on)
        return None if table is None else table.get(column1, column2, on)

    def mue(self, code: str, on: date | None, setting: str) -> MueLimit | None:
        vs = self._mue.get(setting)
        if vs is None:
            return None
        table = vs.pick(on)
        return None if table is None else table.get(code)

    def addon(self, code: str, on: date | None) -> AddonEdit | None:
        table = self._addon.pick(on)
        return None if table is None else table.get(code, on)

    def _icd_table(self, on: date | None) -> Icd10Like | None:
        table = self._icd.pick(on)
        if table is None and self._icd_fallback and package_available():
            table = package_table()
            self._icd.add(table.period.start, table.version, lambda t=table: t)
        return table

    def icd10(self, code: str, on: date | None) -> Icd10Info | None:
        table = self._icd_table(on)
        return None if table is None else table.get(code)

    def excludes1(self, code: str, other: str, on: date | None) -> Excludes1Hit | None:
        table = self._icd_table(on)
        return None if table is None else table.excludes1(code, other)

    def mce(self, code: str, on: date | None) -> MceInfo | None:
        table = self._mce.pick(on)
        return None if table is None else table.get(code)

    def lookup(self, table: str, key: str, on: date | None) -> TableRow | None:
        vs = self._csv.get(table)
        if vs is None:
            return None
        t = vs.pick(on)
        return None if t is None else t.get(key, on)

    def warm(self) -> None:
        """Load every table version now (and the packaged ICD-10-CM fallback), not on first use: before
        `scrub --jobs` forks its workers, so they share the loaded tables instead of each loading its own."""
        sets = [self._addon, self._mce, self._icd, *self._ptp.values(), *self._mue.values(), *self._csv.values()]
        for vs in {id(v): v for v in sets}.values():
            vs.load_all()
        if not len(self._icd) and self._icd_fallback and package_available():
            self._icd_table(None)

    def has(self, kind: str) -> bool:
        """Kinds: ncci-ptp, mue, addon, mce, icd10cm, csv, csv:<name>; "<kind>/<setting>" for one setting."""
        if kind in self._kinds:
            return True
        if kind == "icd10cm" and self._icd_fallback:
            return package_available()
        return False

    def kinds(self) -> list[str]:
        out = set(self._kinds)
        if self._icd_fallback and package_available():
            out.add("icd10cm")
        return sorted(out)


__all__ = ["TablesBase", "Icd10Table"]
