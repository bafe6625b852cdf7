"""Importer for the CMS MUE tables (practitioner, outpatient hospital, DME supplier).

Layout as published: a CSV (Latin-1, CRLF between records) starting with one quoted AMA notice record whose
cell spans several lines, then a header record ``"HCPCS/\\nCPT Code", <Setting> MUE Values, MUE Adjudication
Indicator, MUE Rationale`` (its first cell wraps too), then one record per code: code, max units, MAI text
such as ``2 Date of Service Edit: Policy``, rationale. Rows are undated: the file's quarter, from
``..._Eff_07-01-2026.csv``, is the effective period. The setting comes from the header ("Practitioner
Services MUE Values", "Facility Outpatient Hospital Services MUE Values", "DME Supplier Services MUE Values").
"""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from ..common import (
    DME,
    HOSPITAL,
    PRACTITIONER,
    ImportIssue,
    ImportReport,
    Period,
    TableImportError,
    csv_records,
    is_hcpcs,
    normalize_setting,
    period_for_date,
)

_EFF_RE = re.compile(r"eff[_\- ]?(\d{1,2})[-_](\d{1,2})[-_](\d{4})", re.IGNORECASE)
_MAI_RE = re.compile(r"\s*([123])\b\s*(.*)", re.DOTALL)


def setting_from_text(text: str) -> str | None:
    t = re.sub(r"[\s_\-]+", " ", text).lower()
    t = t.replace("practitionerservices", "practitioner").replace("dmesupplier", "dme supplier")
    if "practitioner" in t:
        return PRACTITIONER
    if "dme" in t:
        return DME
    if "hospital" in t or "facility" in t or "outpatient" in t:
        return HOSPITAL
    return None


def identify_mue(file_name: str, effective: date | None) -> Period:
    m = _EFF_RE.search(file_name)
    if effective is not None:
        return period_for_date(effective)
    if m:
        month, day, year = (int(g) for g in m.groups())
        return period_for_date(date(year, month, day))
    raise TableImportError(
        f"{file_name}: no effective date (like _Eff_07-01-2026) in the file name; pass --effective YYYY-MM-DD"
    )


def parse_mue(text: str, file_name: str, setting: str | None, report: ImportReport) -> dict[str, Any]:
    """Parse the whole file; returns {"setting", "rows", "texts"} for `simple.MueTable`."""
    reader = csv.reader(io.StringIO(text, newline=""))
    texts: list[str] = []
    text_ids: dict[str, int] = {}

    def tid(s: str) -> int:
        i = text_ids.get(s)
        if i is None:
            i = text_ids[s] = len(texts)
            texts.append(s)
        return i

    rows: dict[str, tuple[int, int, int, int, int]] = {}
    seen_rationales: set[str] = set()
    cut_at_end = bool(text) and not text.endswith(("\n", "\r"))
    last_line = text.count("\n") + 1 if cut_at_end else -1
    header_setting: str | None = None
    header_seen = False
    for start, rec in csv_records(reader, file_name, report):
        cells = [c.strip() for c in rec]
        if not any(cells):
            report.skipped_lines += 1
            continue
        first = re.sub(r"\s+", "", cells[0]).upper()
        if not header_seen:
            if "HCPCS" in first or (len(cells) > 1 and "MUE" in cells[1].upper()):
                header_seen = True
                header_setting = setting_from_text(cells[1]) if len(cells) > 1 else None
            report.skipped_lines += 1
            continue
        if not is_hcpcs(first):
            report.malformed.append(ImportIssue(file_name, start, f"not an MUE row (first cell {cells[0][:20]!r} is not a code)"))
            continue
        if len(cells) < 4:
            report.malformed.append(ImportIssue(file_name, start, f"expected 4 columns, found {len(cells)}"))
            continue
        try:
            value = int(cells[1])
            if value < 0:
                raise ValueError
        except ValueError:
            report.malformed.append(ImportIssue(file_name, start, f"MUE value {cells[1][:20]!r} is not a whole number"))
            continue
        m = _MAI_RE.fullmatch(cells[2])
        if not m:
            report.malformed.append(
                ImportIssue(file_name, start, f"MUE adjudication indicator {cells[2][:40]!r} does not start with 1, 2 or 3")
            )
            continue
        rationale = cells[3]
        if cut_at_end and reader.line_num == last_line and rationale not in seen_rationales and rows:
            report.malformed.append(
                ImportIssue(file_name, start, f"last record has no line end and an unknown rationale {rationale[:40]!r}: "
                            "the file looks cut off here (re-download or re-extract it)")
            )
            continue
        seen_rationales.add(rationale)
        if first in rows:
            report.warnings.append(ImportIssue(file_name, start, f"code {first} listed again; the later row is kept"))
        rows[first] = (value, int(m.group(1)), tid(cells[2]), tid(rationale), start)
    if not header_seen:
        raise TableImportError(
            f"{file_name}: no MUE header record ('HCPCS/CPT Code, ... MUE Values, ...') found: is this an MUE file?"
        )
    name_setting = setting_from_text(file_name)
    resolved = normalize_setting(setting) if setting else header_setting or name_setting
    if resolved is None:
        raise TableImportError(f"{file_name}: cannot tell the MUE setting from the header or name; pass --setting")
    if not setting and header_setting and name_setting and header_setting != name_setting:
        report.warnings.append(
            ImportIssue(file_name, None, f"header says {header_setting} but the file name says {name_setting}; using the header")
        )
    if not rows:
        raise TableImportError(f"{file_name}: no MUE rows found", report.malformed)
    report.rows = len(rows)
    return {"setting": resolved, "rows": rows, "texts": texts}
