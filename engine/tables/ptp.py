"""Compact NCCI PTP table: 2.5 M rows as parallel typed arrays sorted by (column 1, column 2, effective).

Layout, chosen to load in tens of milliseconds and stay around 12 bytes a row:

* ``codes``: every distinct code once; rows refer to codes by a small integer id.
* an index ``column 1 code -> (first row, end row)`` (one dict entry per distinct column 1 code, ~15 K);
* per row: column 2 id, effective day, deletion day (16-bit days since 1970, 0xFFFF = none), modifier and
  "prior to 1996" bits, rationale id, source-file slot and source line number (the provenance).

A lookup is one dict probe plus a binary search inside the column 1 group (typically < 200 rows), so it is
O(1) for practical purposes and allocates nothing until a row is found.
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from datetime import date
from typing import Any

from .common import NO_DATE, Period, from_day_number
from .records import Provenance, PtpEdit

_EPOCH_ORD = date(1970, 1, 1).toordinal()

MODIFIER_BITS = {"0": 0, "1": 1, "9": 2}
MODIFIER_CHARS = ("0", "1", "9", "?")

# Packed sort key of one row while building (most significant first):
# c1 (24 bits) | c2 (24) | eff (16) | del (16) | flags (3) | src (8) | rat (12) | line (32)
_LINE_BITS, _RAT_BITS, _SRC_BITS, _FLAG_BITS, _DAY_BITS, _ID_BITS = 32, 12, 8, 3, 16, 24
_RAT_SHIFT = _LINE_BITS
_SRC_SHIFT = _RAT_SHIFT + _RAT_BITS
_FLAG_SHIFT = _SRC_SHIFT + _SRC_BITS
_DEL_SHIFT = _FLAG_SHIFT + _FLAG_BITS
_EFF_SHIFT = _DEL_SHIFT + _DAY_BITS
_C2_SHIFT = _EFF_SHIFT + _DAY_BITS
_C1_SHIFT = _C2_SHIFT + _ID_BITS
_M32, _M12, _M8, _M3, _M16, _M24 = (1 << 32) - 1, (1 << 12) - 1, (1 << 8) - 1, (1 << 3) - 1, (1 << 16) - 1, (1 << 24) - 1


class PtpBuilder:
    """Accumulates rows (from one or several f1..f4 parts) and produces a sorted `PtpTable`."""

    def __init__(self, version: str, setting: str, period: Period) -> None:
        self.version = version
        self.setting = setting
        self.period = period
        self.codes: list[str] = []
        self._ids: dict[str, int] = {}
        self.rationales: list[str] = []
        self._rat_ids: dict[str, int] = {}
        self.sources: list[str] = []
        self.packed: list[int] = []

    def code_id(self, code: str) -> int:
        i = self._ids.get(code)
        if i is None:
            i = self._ids[code] = len(self.codes)
            self.codes.append(code)
        return i

    def rationale_id(self, text: str) -> int:
        i = self._rat_ids.get(text)
        if i is None:
            if len(self.rationales) > _M12:
                raise ValueError("more than 4096 distinct PTP rationales: not an NCCI PTP file?")
            i = self._rat_ids[text] = len(self.rationales)
            self.rationales.append(text)
        return i

    def source_slot(self, name: str) -> int:
        if name in self.sources:
            return self.sources.index(name)
        if len(self.sources) > _M8:
            raise ValueError("more than 256 source files in one PTP version")
        self.sources.append(name)
        return len(self.sources) - 1

    def add(self, c1: int, c2: int, eff: int, dele: int, flags: int, src: int, rat: int, line: int) -> None:
        """Add a row; ids from `code_id`/`rationale_id`/`source_slot`, days from `common.day_number`."""
        self.packed.append(
            (c1 << _C1_SHIFT) | (c2 << _C2_SHIFT) | (eff << _EFF_SHIFT) | (dele << _DEL_SHIFT)
            | (flags << _FLAG_SHIFT) | (src << _SRC_SHIFT) | (rat << _RAT_SHIFT) | (line & _M32)
        )

    def drop_source(self, slot: int) -> int:
        """Remove every row of one source file (a corrected part replaces the older one)."""
        before = len(self.packed)
        self.packed = [p for p in self.packed if (p >> _SRC_SHIFT) & _M8 != slot]
        return before - len(self.packed)

    @classmethod
    def from_table(cls, table: PtpTable) -> PtpBuilder:
        """Re-open a compiled version so another part can be merged into it."""
        b = cls(table.version, table.setting, table.period)
        b.codes = list(table.codes)
        b._ids = dict(table._ids)
        b.rationales = list(table.rationales)
        b._rat_ids = {r: i for i, r in enumerate(b.rationales)}
        b.sources = list(table.sources)
        col2, eff, dele, flags, src, rat, line = (
            table._col2, table._eff, table._del, table._flags, table._src, table._rat, table._line
        )
        out = b.packed
        for c1_code, (lo, hi) in table._index.items():
            c1 = table._ids[c1_code]
            for i in range(lo, hi):
                out.append(
                    (c1 << _C1_SHIFT) | (col2[i] << _C2_SHIFT) | (eff[i] << _EFF_SHIFT) | (dele[i] << _DEL_SHIFT)
                    | (flags[i] << _FLAG_SHIFT) | (src[i] << _SRC_SHIFT) | (rat[i] << _RAT_SHIFT) | line[i]
                )
        return b

    def build(self) -> PtpTable:
        packed = sorted(self.packed)
        n = len(packed)
        id_type = "H" if len(self.codes) <= 0xFFFF else "I"
        col2 = array(id_type, bytes(array(id_type).itemsize * n))
        eff = array("H", bytes(2 * n))
        dele = array("H", bytes(2 * n))
        flags = array("B", bytes(n))
        src = array("B", bytes(n))
        rat = array("H", bytes(2 * n))
        line = array("I", bytes(4 * n))
        c1_ids = array("I")
        starts = array("I")
        prev = -1
        for i, p in enumerate(packed):
            c1 = p >> _C1_SHIFT
            if c1 != prev:
                c1_ids.append(c1)
                starts.append(i)
                prev = c1
            col2[i] = (p >> _C2_SHIFT) & _M24
            eff[i] = (p >> _EFF_SHIFT) & _M16
            dele[i] = (p >> _DEL_SHIFT) & _M16
            flags[i] = (p >> _FLAG_SHIFT) & _M3
            src[i] = (p >> _SRC_SHIFT) & _M8
            rat[i] = (p >> _RAT_SHIFT) & _M12
            line[i] = p & _M32
        starts.append(n)
        return PtpTable.from_payload(
            {
                "kind": "ncci-ptp",
                "version": self.version,
                "setting": self.setting,
                "period": self.period.as_dict(),
                "codes": "\n".join(self.codes),
                "rationales": self.rationales,
                "sources": self.sources,
                "id_type": id_type,
                "rows": n,
                "c1_ids": c1_ids.tobytes(),
                "starts": starts.tobytes(),
                "col2": col2.tobytes(),
                "eff": eff.tobytes(),
                "del": dele.tobytes(),
                "flags": flags.tobytes(),
                "src": src.tobytes(),
                "rat": rat.tobytes(),
                "line": line.tobytes(),
            }
        )


def _view(buf: bytes, typecode: str) -> memoryview:
    return memoryview(buf).cast(typecode)


class PtpTable:
    """One version of the PTP edits for one setting."""

    kind = "ncci-ptp"

    def __init__(self) -> None:  # use from_payload / PtpBuilder.build
        self.payload: dict[str, Any] = {}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> PtpTable:
        t = cls()
        t.payload = payload
        t.version = payload["version"]
        t.setting = payload["setting"]
        p = payload["period"]
        t.period = Period(p["label"], date.fromisoformat(p["start"]), date.fromisoformat(p["end"]) if p["end"] else None)
        codes = payload["codes"].split("\n") if payload["codes"] else []
        t.codes = codes
        t.rationales = payload["rationales"]
        t.sources = payload["sources"]
        t._ids = dict(zip(codes, range(len(codes)), strict=True))
        c1_ids = _view(payload["c1_ids"], "I")
        starts = _view(payload["starts"], "I")
        t._index = {codes[c]: (starts[k], starts[k + 1]) for k, c in enumerate(c1_ids)}
        t._col2 = _view(payload["col2"], payload["id_type"])
        t._eff = _view(payload["eff"], "H")
        t._del = _view(payload["del"], "H")
        t._flags = _view(payload["flags"], "B")
        t._src = _view(payload["src"], "B")
        t._rat = _view(payload["rat"], "H")
        t._line = _view(payload["line"], "I")
        t._prov: dict[int, Provenance] = {}
        return t

    def __len__(self) -> int:
        return len(self._col2)

    def _find(self, column1: str, column2: str, on: date | None) -> int:
        rng = self._index.get(column1)
        if rng is None:
            return -1
        cid = self._ids.get(column2)
        if cid is None:
            return -1
        lo, hi = rng
        col2 = self._col2
        i = bisect_left(col2, cid, lo, hi)
        best = -1
        if on is None:  # latest row for the pair, preferring one without a deletion date
            while i < hi and col2[i] == cid:
                if best < 0 or self._del[i] == NO_DATE or self._del[best] != NO_DATE:
                    best = i
                i += 1
            return best
        day = on.toordinal() - _EPOCH_ORD
        eff, dele = self._eff, self._del
        while i < hi and col2[i] == cid:
            if eff[i] <= day and (dele[i] == NO_DATE or day <= dele[i]):
                best = i
            i += 1
        return best

    def get(self, column1: str, column2: str, on: date | None) -> PtpEdit | None:
        """The edit for the ordered pair in effect on `on` (deletion date inclusive), else None."""
        i = self._find(column1, column2, on)
        return None if i < 0 else self.row(i, column1)

    def provenance(self, i: int) -> Provenance:
        slot = self._src[i]
        base = self._prov.get(slot)
        if base is None:
            base = self._prov[slot] = Provenance(
                "ncci-ptp", self.version, self.sources[slot], None, self.period.start, self.period.end
            )
        return Provenance(base.kind, base.version, base.source_file, self._line[i], base.effective_from, base.effective_to)

    def row(self, i: int, column1: str | None = None) -> PtpEdit:
        dele = self._del[i]
        flags = self._flags[i]
        return PtpEdit(
            column1=column1 if column1 is not None else self._code_of_row(i),
            column2=self.codes[self._col2[i]],
            effective=from_day_number(self._eff[i]),
            deletion=None if dele == NO_DATE else from_day_number(dele),
            modifier_indicator=MODIFIER_CHARS[flags & 3],
            rationale=self.rationales[self._rat[i]],
            prior_1996=bool(flags & 4),
            provenance=self.provenance(i),
        )

    def _code_of_row(self, i: int) -> str:
        # Rows are grouped by column 1; the group starts, sorted once on first use, locate row i.
        starts = self._starts_sorted()
        k = bisect_left(starts, i + 1) - 1
        return self._groups[k]

    def _starts_sorted(self) -> list[int]:
        s = getattr(self, "_starts_cache", None)
        if s is None:
            items = sorted(self._index.items(), key=lambda kv: kv[1][0])
            self._groups = [code for code, _ in items]
            s = self._starts_cache = [rng[0] for _, rng in items]
        return s

    def rows(self, column1: str | None = None) -> Iterator[PtpEdit]:
        """Every row (or every row of one column 1 code), in storage order; for tests and reports."""
        if column1 is not None:
            rng = self._index.get(column1)
            ranges: Iterable[tuple[int, int]] = [rng] if rng else []
        else:
            ranges = sorted(self._index.values())
        for lo, hi in ranges:
            for i in range(lo, hi):
                yield self.row(i)
