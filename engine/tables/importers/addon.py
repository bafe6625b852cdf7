"""Importer for the CMS NCCI add-on code (AOC) edit file, e.g. ``AOC_V2025Q4_01-MCR.txt``.

Since 2022 CMS publishes one row per add-on/primary pairing with eight columns: Add-on Code, Primary Code,
AOC Edit Type (1, 2, 3), AOC Deletion Date, Primary Code Deletion Date, AOC Edit Effective Date, AOC Edit
Deletion Date, Special Instruction Notes. Dates are Julian ``YYYYDDD`` (``9999999`` or blank = none); type 2
and some type 3 rows carry the placeholder primary ``CCCCC`` (contractor-defined primaries). The text file
has been both tab-delimited and fixed-width, so columns are located by their header names, and the
delimiter is sniffed from the header line.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from ..common import (
    NO_DATE,
    ImportIssue,
    ImportReport,
    Period,
    TableImportError,
    day_number,
    is_hcpcs,
    parse_date,
    period_for_date,
    quarter_period,
    split_lines,
)
from ..simple import CONTRACTOR_DEFINED

_QUARTER_RE = re.compile(r"(?<!\d)(20\d\d)[_\- ]?Q([1-4])", re.IGNORECASE)
_ROMAN = {"I": 1, "II": 2, "III": 3}

FIELDS = ("addon", "primary", "type", "addon_del", "primary_del", "edit_eff", "edit_del", "notes")


def _field_of(header: str) -> str | None:
    h = re.sub(r"[^a-z0-9]", "", header.lower()).replace("julian", "")
    if not h:
        return None
    deleted = "del" in h
    if "special" in h or "note" in h or "instruction" in h:
        return "notes"
    if "primary" in h:
        return "primary_del" if deleted else "primary"
    if "type" in h:
        return "type"
    if "edit" in h and ("eff" in h or "begin" in h or "start" in h):
        return "edit_eff"
    if "edit" in h and deleted:
        return "edit_del"
    if ("addon" in h or h.startswith("aoc")) and deleted:
        return "addon_del"
    if "addon" in h or h in ("aoc", "aoccode", "aochcpcs"):
        return "addon"
    return None


def identify_addon(file_name: str, effective: date | None) -> Period:
    if effective is not None:
        return period_for_date(effective)
    m = _QUARTER_RE.search(file_name)
    if m:
        return quarter_period(int(m.group(1)), int(m.group(2)))
    raise TableImportError(f"{file_name}: no quarter (like AOC_V2025Q4) in the file name; pass --effective YYYY-MM-DD")


def _split_fixed(header: str) -> list[tuple[int, int]]:
    spans = [(m.start(), m.end()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    return [(s, spans[i + 1][0] if i + 1 < len(spans) else 10_000) for i, (s, _e) in enumerate(spans)]


def parse_addon(text: str, file_name: str, report: ImportReport) -> dict[str, Any]:
    """Parse the file; returns {"rows"} for `simple.AddonTable`."""
    lines, _terminated = split_lines(text)
    header_idx = -1
    mapping: dict[str, int] = {}
    cells_of = None
    for i, line in enumerate(lines[:50]):
        if "\t" in line:
            cand = line.split("\t")
            splitter = "tab"
        elif line.count(",") >= 3:
            cand = next(csv.reader([line]))
            splitter = "csv"
        else:
            spans = _split_fixed(line)
            cand = [line[s:e] for s, e in spans]
            splitter = "fixed"
        found = {f: j for j, c in enumerate(cand) if (f := _field_of(c)) is not None}
        if "addon" in found and "primary" in found:
            header_idx, mapping = i, found
            if splitter == "tab":
                cells_of = lambda ln: ln.split("\t")  # noqa: E731
            elif splitter == "csv":
                cells_of = lambda ln: next(csv.reader(io.StringIO(ln)))  # noqa: E731
            else:
                fixed = _split_fixed(line)
                cells_of = lambda ln, fixed=fixed: [ln[s:e] for s, e in fixed]  # noqa: E731
            break
    if header_idx < 0 or cells_of is None:
        raise TableImportError(
            f"{file_name}: no add-on code header (columns 'Add-on Code' and 'Primary Code') in the first 50 lines"
        )
    report.skipped_lines = header_idx + 1
    rows: dict[str, list[tuple[str, int, int, int, int, int, int]]] = {}
    count = 0

    def cell(cells: list[str], name: str) -> str:
        j = mapping.get(name)
        return cells[j].strip().strip('"') if j is not None and j < len(cells) else ""

    for i in range(header_idx + 1, len(lines)):
        lineno = i + 1
        line = lines[i]
        if not line.strip():
            continue
        cells = cells_of(line)
        addon = cell(cells, "addon").upper()
        primary = cell(cells, "primary").upper()
        if not is_hcpcs(addon):
            report.malformed.append(ImportIssue(file_name, lineno, f"add-on code {addon[:20]!r} is not a 5-character code"))
            continue
        if primary and not is_hcpcs(primary):
            report.malformed.append(ImportIssue(file_name, lineno, f"primary code {primary[:20]!r} is not a 5-character code"))
            continue
        raw_type = cell(cells, "type").upper().replace("TYPE", "").strip()
        aoc_type = _ROMAN.get(raw_type) or (int(raw_type) if raw_type.isdigit() else 0)
        if aoc_type not in (1, 2, 3):
            report.malformed.append(ImportIssue(file_name, lineno, f"AOC edit type {raw_type[:10]!r} is not 1, 2 or 3"))
            continue
        try:
            days = []
            for name in ("edit_eff", "edit_del", "primary_del", "addon_del"):
                d = parse_date(cell(cells, name))
                days.append(NO_DATE if d is None else day_number(d))
        except ValueError as e:
            report.malformed.append(ImportIssue(file_name, lineno, f"{e}: dates are Julian YYYYDDD, 9999999 for none"))
            continue
        eff = 0 if days[0] == NO_DATE else days[0]
        rows.setdefault(addon, []).append((primary or CONTRACTOR_DEFINED, aoc_type, eff, days[1], days[2], days[3], lineno))
        count += 1
    if count == 0:
        raise TableImportError(f"{file_name}: no add-on code rows found", report.malformed)
    report.rows = count
    return {"rows": rows}
