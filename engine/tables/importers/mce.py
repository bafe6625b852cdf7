"""Importer for the Medicare Code Editor "simple" code-edit lists (``MCE_Simple_Code_Edits_v37.txt``).

Layout: tab-delimited, one header line ``MCE_Version ICD_Version MCE_Section MCE_Subsection MCE_Edit_Type
ICD_Code_Type ICD_Code ICD_Desc``, one row per (edit, code). ICD codes are undotted; type D is an ICD-10-CM
diagnosis and P an ICD-10-PCS procedure. MCE version N is fiscal year N + 1983 (v37 = FY2020, effective
2019-10-01). ICD-9 lists (ICD_Version 9) are skipped with a warning: claims since 2015-10-01 use ICD-10.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from ..common import (
    ImportIssue,
    ImportReport,
    Period,
    TableImportError,
    fiscal_year_period,
    period_for_date,
    split_lines,
)

EDIT_TYPES = (
    "Newborn_Only",
    "Pediatric_Only",
    "Maternity_Only",
    "Adult_Only",
    "Female_Only",
    "Male_Only",
    "Principal_Manifestation",
    "Principal_Questionable_Admit",
    "Principal_Unacceptable",
    "Noncovered_Always",
    "Noncovered_Over60",
    "Limited_Coverage",
    "Wrong_Performed",
    "Noncovered_LOS_96hr",
)
_VERSION_RE = re.compile(r"v(?:ersion)?[_\- ]?(\d{2})(?!\d)", re.IGNORECASE)
_ICD10_CODE = re.compile(r"[A-Z0-9]{3,7}")


def identify_mce(
    file_name: str, effective: date | None, file_versions: list[str] | None = None
) -> tuple[str, Period, int | None]:
    """Version and fiscal year from the name (``_v37``), else from the MCE_Version column, else --effective."""
    m = _VERSION_RE.search(file_name)
    mce_version = int(m.group(1)) if m else None
    if mce_version is None and file_versions and len(file_versions) == 1 and file_versions[0].isdigit():
        mce_version = int(file_versions[0])
    if effective is not None:
        period = period_for_date(effective)
    elif mce_version is not None:
        period = fiscal_year_period(mce_version + 1983)
    else:
        raise TableImportError(f"{file_name}: no MCE version (like _v37) in the file name; pass --effective YYYY-MM-DD")
    return (f"v{mce_version}" if mce_version is not None else period.label), period, mce_version


def parse_mce(text: str, file_name: str, report: ImportReport) -> dict[str, Any]:
    """Parse the file; returns {"rows", "edit_names", "file_versions"} for `simple.MceTable`."""
    lines, terminated = split_lines(text)
    names = list(EDIT_TYPES)
    name_bit = {n: i for i, n in enumerate(names)}
    rows: dict[str, tuple[int, int]] = {}
    header: list[str] | None = None
    versions: set[str] = set()
    icd9 = 0
    count = 0
    for i, line in enumerate(lines):
        lineno = i + 1
        if not line.strip():
            continue
        f = [c.strip() for c in line.split("\t")]
        if header is None:
            if "ICD_Code" in f and "MCE_Edit_Type" in f:
                header = f
                col = {name: j for j, name in enumerate(f)}
                report.skipped_lines += 1
                continue
            report.skipped_lines += 1
            if i > 20:
                break
            continue
        if len(f) < len(header) - 1:  # ICD_Desc may be empty
            report.malformed.append(ImportIssue(file_name, lineno, f"expected {len(header)} tab-separated columns, found {len(f)}"))
            continue
        edit = f[col["MCE_Edit_Type"]]
        code_type = f[col["ICD_Code_Type"]].upper() if "ICD_Code_Type" in col else "D"
        code = f[col["ICD_Code"]].upper().replace(".", "")
        if "ICD_Version" in col and f[col["ICD_Version"]] == "9":
            icd9 += 1
            continue
        if code_type not in ("D", "P") or not _ICD10_CODE.fullmatch(code):
            report.malformed.append(ImportIssue(file_name, lineno, f"bad code type/code {code_type!r}/{code[:12]!r}"))
            continue
        bit = name_bit.get(edit)
        if bit is None:
            if len(names) >= 62:
                report.malformed.append(ImportIssue(file_name, lineno, f"too many MCE edit types ({edit!r})"))
                continue
            bit = name_bit[edit] = len(names)
            names.append(edit)
            report.warnings.append(ImportIssue(file_name, lineno, f"unknown MCE edit type {edit!r} kept as is"))
        if "MCE_Version" in col:
            versions.add(f[col["MCE_Version"]])
        key = code_type + code
        mask, first = rows.get(key, (0, lineno))
        rows[key] = (mask | (1 << bit), first)
        count += 1
    if header is None:
        raise TableImportError(f"{file_name}: no MCE header (MCE_Edit_Type, ICD_Code columns) found: is this an MCE list?")
    if icd9:
        report.warnings.append(ImportIssue(file_name, None, f"{icd9} ICD-9 rows skipped (only ICD-10 is scrubbed)"))
    if len(versions) > 1:
        report.warnings.append(ImportIssue(file_name, None, f"rows from several MCE versions {sorted(versions)} in one file"))
    if not terminated and lines:
        report.warnings.append(ImportIssue(file_name, len(lines), "last line has no line end (kept: it parsed as a full row)"))
    if count == 0:
        raise TableImportError(f"{file_name}: no MCE rows found", report.malformed)
    report.rows = count
    return {"rows": rows, "edit_names": names, "file_versions": sorted(versions)}
