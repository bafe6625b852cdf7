"""Rows added, removed and changed between two imported versions of one table (two NCCI quarters, say).

Each kind is reduced to canonical rows: a key (the edit's codes) and the values a rule can see, as text, so a
quarter that adds deletion dates to 3,000 PTP edits reads as 3,000 changed rows with `deletion: (none) ->
2026-06-30`, not as 3,000 removals and additions. Only the two versions' payloads are read; no rule runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from .common import NO_DATE, from_day_number
from .icd10 import Icd10Table
from .ptp import MODIFIER_CHARS, PtpTable
from .simple import AddonTable, CsvTable, MceTable, MueTable

Rows = dict[str, tuple[str, ...]]


def _day(n: int) -> str:
    return "" if n in (NO_DATE, -1) else from_day_number(n).isoformat()


PTP_FIELDS = ("deletion", "modifier_indicator", "rationale", "prior_1996")


def _ptp(t: PtpTable) -> tuple[tuple[str, ...], Rows]:
    rows: Rows = {}
    for c1 in t._index:  # noqa: SLF001 - the table's own columns, read in bulk
        rows.update(_ptp_group(t, c1))
    return PTP_FIELDS, rows


def _mue(t: MueTable) -> tuple[tuple[str, ...], Rows]:
    texts = t._texts  # noqa: SLF001
    rows = {code: (str(v), str(mai), texts[mai_text], texts[rat])
            for code, (v, mai, mai_text, rat, _line) in t._rows.items()}  # noqa: SLF001
    return ("value", "mai", "mai_text", "rationale"), rows


def _addon(t: AddonTable) -> tuple[tuple[str, ...], Rows]:
    rows: Rows = {}
    for code, pairings in t._rows.items():  # noqa: SLF001
        for primary, typ, eff, dele, p_del, a_del, _line in pairings:
            rows[f"{code} with {primary or '(any)'} from {_day(eff)}"] = (
                str(typ), _day(dele), _day(p_del), _day(a_del))
    return ("type", "edit_deletion", "primary_deletion", "addon_deletion"), rows


def _mce_key(key: str) -> str:
    """"DB3742" -> "dx B37.42", "P5A1955Z" -> "proc 5A1955Z": the MCE's own code type and undotted code."""
    code = key[1:]
    if key[0] == "D":
        return f"dx {code[:3]}.{code[3:]}" if len(code) > 3 else f"dx {code}"
    return f"proc {code}"


def _mce(t: MceTable) -> tuple[tuple[str, ...], Rows]:
    names = t._names  # noqa: SLF001
    rows = {_mce_key(key): (", ".join(n for i, n in enumerate(names) if mask >> i & 1),)
            for key, (mask, _line) in t._rows.items()}  # noqa: SLF001
    return ("edits",), rows


def _icd10(t: Icd10Table) -> tuple[tuple[str, ...], Rows]:
    rows: Rows = {}
    for code in t.codes():
        info = t.get(code)
        rows[code] = ("billable" if info.billable else "header", info.description or "")
    return ("status", "description"), rows


def _csv(t: CsvTable) -> tuple[tuple[str, ...], Rows]:
    rows: Rows = {}
    for key, versions in t._rows.items():  # noqa: SLF001
        for eff, end, values, _line in versions:
            rows[f"{key} from {_day(eff)}" if eff >= 0 else key] = (
                _day(end), *("" if v is None else str(v) for v in values))
    return ("end", *t.columns), rows


CANONICAL = {"ncci-ptp": _ptp, "mue": _mue, "addon": _addon, "mce": _mce, "icd10cm": _icd10}


def canonical_rows(table: Any) -> tuple[tuple[str, ...], Rows]:
    """(field names, key -> values) of one table version."""
    if isinstance(table, CsvTable):
        return _csv(table)
    return CANONICAL[table.kind](table)


@dataclass
class TableDiff:
    kind: str
    setting: str
    old: str
    new: str
    fields: tuple[str, ...]
    added: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    removed: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)
    changed: list[tuple[str, dict[str, tuple[str, str]]]] = field(default_factory=list)
    old_rows: int = 0
    new_rows: int = 0

    def as_dict(self, limit: int | None = None) -> dict[str, Any]:
        def row(values: tuple[str, ...]) -> dict[str, str]:
            return dict(zip(self.fields, values, strict=True))

        return {
            "kind": self.kind, "setting": self.setting, "old": self.old, "new": self.new,
            "rows": {"old": self.old_rows, "new": self.new_rows},
            "counts": {"added": len(self.added), "removed": len(self.removed), "changed": len(self.changed)},
            "added": [{"key": k, **row(v)} for k, v in self.added[:limit]],
            "removed": [{"key": k, **row(v)} for k, v in self.removed[:limit]],
            "changed": [{"key": k, "fields": {f: {"old": a, "new": b} for f, (a, b) in ch.items()}}
                        for k, ch in self.changed[:limit]],
        }

    def render(self, limit: int = 20) -> Iterator[str]:
        yield (f"table {self.kind} ({self.setting}) {self.old} -> {self.new}: {self.old_rows:,} -> {self.new_rows:,} "
               f"rows; {len(self.added):,} added, {len(self.removed):,} removed, {len(self.changed):,} changed")
        for sign, items in (("+", self.added), ("-", self.removed)):
            for k, v in items[:limit]:
                yield f"  {sign} {k}: " + ", ".join(f"{f} {x}" for f, x in zip(self.fields, v, strict=True) if x)
            if len(items) > limit:
                yield f"  {sign} ... {len(items) - limit:,} more"
        for k, ch in self.changed[:limit]:
            yield f"  ~ {k}: " + "; ".join(f"{f} {a or '(none)'} -> {b or '(none)'}" for f, (a, b) in ch.items())
        if len(self.changed) > limit:
            yield f"  ~ ... {len(self.changed) - limit:,} more"


def _ptp_group(t: PtpTable, c1: str) -> Rows:
    rng = t._index.get(c1)  # noqa: SLF001
    if rng is None:
        return {}
    rows: Rows = {}
    codes, rats, col2, eff, dele, flags, rat = (t.codes, t.rationales, t._col2, t._eff, t._del,  # noqa: SLF001
                                                t._flags, t._rat)  # noqa: SLF001
    for i in range(*rng):
        f = flags[i]
        rows[f"{c1} {codes[col2[i]]} from {_day(eff[i])}"] = (
            _day(dele[i]), MODIFIER_CHARS[f & 3], rats[rat[i]], "yes" if f & 4 else "")
    return rows


def _diff_ptp(old: PtpTable, new: PtpTable) -> TableDiff:
    """PTP column 1 group by group (2.5 M rows a quarter): only one group's rows are in memory at a time, and a
    group whose stored columns are identical in both versions is skipped without decoding."""
    fields = PTP_FIELDS
    d = TableDiff(new.kind, new.setting, old.version, new.version, fields, old_rows=len(old), new_rows=len(new))
    same_codes = old.codes == new.codes and old.rationales == new.rationales
    for c1 in sorted(old._index.keys() | new._index.keys()):  # noqa: SLF001
        ra, rb = old._index.get(c1), new._index.get(c1)  # noqa: SLF001
        if same_codes and ra and rb and ra[1] - ra[0] == rb[1] - rb[0] and all(
                getattr(old, col)[ra[0]:ra[1]] == getattr(new, col)[rb[0]:rb[1]]
                for col in ("_col2", "_eff", "_del", "_flags", "_rat")):
            continue
        _merge(d, _ptp_group(old, c1), _ptp_group(new, c1))
    for part in (d.added, d.removed, d.changed):
        part.sort(key=lambda kv: kv[0])
    return d


def _merge(d: TableDiff, a: Rows, b: Rows) -> None:
    for k in b.keys() - a.keys():
        d.added.append((k, b[k]))
    for k in a.keys() - b.keys():
        d.removed.append((k, a[k]))
    for k in a.keys() & b.keys():
        if a[k] != b[k]:
            d.changed.append((k, {f: (x, y) for f, x, y in zip(d.fields, a[k], b[k], strict=True) if x != y}))


def diff_tables(old: Any, new: Any) -> TableDiff:
    """Rows of `new` not in `old` (added), of `old` not in `new` (removed), and changed values, by key order."""
    if isinstance(old, PtpTable) and isinstance(new, PtpTable):
        return _diff_ptp(old, new)
    fields, a = canonical_rows(old)
    new_fields, b = canonical_rows(new)
    if new_fields != fields:  # a CSV table whose columns changed: compare what both have
        common = [f for f in fields if f in new_fields]
        a = {k: tuple(v[fields.index(f)] for f in common) for k, v in a.items()}
        b = {k: tuple(v[new_fields.index(f)] for f in common) for k, v in b.items()}
        fields = tuple(common)
    d = TableDiff(getattr(new, "kind", "csv"), getattr(new, "setting", "all"), old.version, new.version, fields,
                  old_rows=len(a), new_rows=len(b))
    _merge(d, a, b)
    for part in (d.added, d.removed, d.changed):
        part.sort(key=lambda kv: kv[0])
    return d


__all__ = ["TableDiff", "canonical_rows", "diff_tables"]
