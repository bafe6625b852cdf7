"""The small tables (MUE ~15 K rows, add-on codes ~3 K, MCE lists ~15 K, payer csv tables): dicts keyed by code.

Each class is one version of one table. Its payload is a plain dict (see `base.dump_payload`), and lookups
build the record objects rules see on first use and keep them, so repeated lookups of a code are one dict
probe.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .common import ALL, NO_DATE, Period, from_day_number, undotted
from .records import AddonEdit, MceInfo, MueLimit, Provenance, TableRow

_EPOCH_ORD = date(1970, 1, 1).toordinal()
_CACHE_LIMIT = 200_000


def period_from_dict(p: Mapping[str, Any]) -> Period:
    return Period(p["label"], date.fromisoformat(p["start"]), date.fromisoformat(p["end"]) if p.get("end") else None)


class _Table:
    kind = ""

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.version: str = payload["version"]
        self.setting: str = payload.get("setting", ALL)
        self.period = period_from_dict(payload["period"])
        self.sources: list[str] = payload["sources"]
        self._cache: dict[Any, Any] = {}
        self._kind_label = payload.get("kind_label", self.kind)

    def _prov(self, line: int | None, source: int = 0) -> Provenance:
        return Provenance(
            self._kind_label, self.version, self.sources[source] if self.sources else "", line or None,
            self.period.start, self.period.end,
        )

    def _remember(self, key: Any, value: Any) -> Any:
        if len(self._cache) >= _CACHE_LIMIT:
            self._cache.clear()
        self._cache[key] = value
        return value


# --------------------------------------------------------------------------------------------------------- MUE


class MueTable(_Table):
    """rows: code -> (value, mai, mai_text id, rationale id, line)."""

    kind = "mue"

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload)
        self._rows: dict[str, tuple[int, int, int, int, int]] = payload["rows"]
        self._texts: list[str] = payload["texts"]

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, code: str) -> MueLimit | None:
        hit = self._cache.get(code)
        if hit is not None:
            return hit
        row = self._rows.get(code)
        if row is None:
            return None
        value, mai, mai_text, rationale, line = row
        return self._remember(
            code, MueLimit(code, value, mai, self._texts[mai_text], self._texts[rationale], self._prov(line))
        )

    def codes(self) -> Iterable[str]:
        return self._rows.keys()


# ------------------------------------------------------------------------------------------------------ add-on

CONTRACTOR_DEFINED = "CCCCC"  # primary code placeholder: the MAC defines the primaries (type 2 and 3)


class AddonTable(_Table):
    """rows: add-on code -> list of (primary, type, edit eff day, edit del day, primary del day, AOC del day, line).

    Days are 16-bit day numbers, 0xFFFF = no date; a pairing is in effect from the edit effective date through
    each of the three deletion dates (inclusive).
    """

    kind = "addon"

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload)
        self._rows: dict[str, list[tuple[str, int, int, int, int, int, int]]] = payload["rows"]

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, code: str, on: date | None) -> AddonEdit | None:
        key = (code, on)
        hit = self._cache.get(key)
        if hit is not None:
            return hit
        rows = self._rows.get(code)
        if rows is None:
            return None
        if on is None:
            live = [r for r in rows if r[3] == NO_DATE and r[4] == NO_DATE and r[5] == NO_DATE] or rows
        else:
            d = on.toordinal() - _EPOCH_ORD
            live = [r for r in rows if r[2] <= d and d <= r[3] and d <= r[4] and d <= r[5]]
            if not live:
                return None
        types = {r[1] for r in live}
        edit = AddonEdit(
            code=code,
            type=min(types),
            primaries=frozenset(r[0] for r in live if r[0] and r[0] != CONTRACTOR_DEFINED),
            provenance=self._prov(min(r[6] for r in live)),
        )
        return self._remember(key, edit)


# --------------------------------------------------------------------------------------------------------- MCE

MCE_AGE = {
    "Newborn_Only": ("newborn", 0, 0),
    "Pediatric_Only": ("pediatric", 0, 17),
    "Maternity_Only": ("maternity", 9, 64),
    "Adult_Only": ("adult", 15, 124),
}
MATERNITY_BEFORE_V34 = (12, 55)  # MCE v33 and earlier: maternity ages 12-55; widened to 9-64 from FY2017 (v34)


class MceTable(_Table):
    """rows: code type + undotted code ("DE8411", "P0UT90ZZ") -> (bitmask over `edit_names`, first line)."""

    kind = "mce"

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload)
        self._rows: dict[str, tuple[int, int]] = payload["rows"]
        self._names: list[str] = payload["edit_names"]
        self._mce_version: int | None = payload.get("mce_version")

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, code: str) -> MceInfo | None:
        hit = self._cache.get(code)
        if hit is not None:
            return hit
        key = undotted(code)
        for code_type in ("D", "P"):
            row = self._rows.get(code_type + key)
            if row is not None:
                return self._remember(code, self._info(code.strip().upper(), code_type, *row))
        return None

    def _info(self, code: str, code_type: str, mask: int, line: int) -> MceInfo:
        edits = frozenset(name for i, name in enumerate(self._names) if mask >> i & 1)
        age_class = age_min = age_max = None
        for name in ("Newborn_Only", "Pediatric_Only", "Maternity_Only", "Adult_Only"):
            if name in edits:
                age_class, age_min, age_max = MCE_AGE[name]
                if name == "Maternity_Only" and self._mce_version is not None and self._mce_version < 34:
                    age_min, age_max = MATERNITY_BEFORE_V34
                break
        sex = "F" if "Female_Only" in edits else "M" if "Male_Only" in edits else None
        return MceInfo(
            code=code,
            age_class=age_class,
            age_min=age_min,
            age_max=age_max,
            sex=sex,
            manifestation="Principal_Manifestation" in edits,
            unacceptable_principal="Principal_Unacceptable" in edits,
            provenance=self._prov(line),
            code_type=code_type,
            questionable_admission="Principal_Questionable_Admit" in edits,
            edits=edits,
        )


# --------------------------------------------------------------------------------------------------------- csv


class CsvTable(_Table):
    """A payer table: rows: key -> list of (effective day | -1, end day | -1, values tuple, line)."""

    kind = "csv"

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__(payload)
        self.name: str = payload["name"]
        self.columns: list[str] = payload["columns"]
        self.types: list[str] = payload["types"]
        self._rows: dict[str, list[tuple[int, int, tuple[Any, ...], int]]] = payload["rows"]

    def __len__(self) -> int:
        return sum(len(v) for v in self._rows.values())

    def get(self, key: str, on: date | None) -> TableRow | None:
        ck = (key, on)
        hit = self._cache.get(ck)
        if hit is not None:
            return hit
        rows = self._rows.get(key)
        if not rows:
            return None
        chosen = None
        if on is None:
            chosen = rows[-1]
        else:
            d = on.toordinal() - _EPOCH_ORD
            for r in rows:  # sorted by effective day; the last one in effect wins
                if (r[0] < 0 or r[0] <= d) and (r[1] < 0 or d <= r[1]):
                    chosen = r
            if chosen is None:
                return None
        values: dict[str, Any] = {}
        for name, kind, v in zip(self.columns, self.types, chosen[2], strict=True):
            if v is not None and kind == "date":
                v = from_day_number(v)
            elif v is not None and kind == "decimal":
                v = Decimal(v)
            values[name] = v
        return self._remember(ck, TableRow(self.name, key, values, self._prov(chosen[3])))

    def keys(self) -> Iterable[str]:
        return self._rows.keys()
