"""Importer for the CMS NCCI PTP files (`ccipra-v322r0-f1.txt` practitioner, `ccioph-...` hospital).

Layout as published: tab-delimited Latin-1 text with CRLF line ends, an AMA notice line, a title line and a
header wrapped over four lines, then rows of seven columns: Column 1, Column 2, `*` if in existence prior
to 1996, Effective Date YYYYMMDD, Deletion Date YYYYMMDD or `*`, Modifier 0/1/9, PTP Edit Rationale.

File names carry the release: ``v{major}{quarter-1}r{revision}`` with major = year - 1994, so v322r0 is
version 32.2, effective 2026-07-01 (2026 Q3); ``f1``..``f4`` are parts of one release split by code range.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from ..common import (
    HOSPITAL,
    NO_DATE,
    PRACTITIONER,
    ImportIssue,
    ImportReport,
    Period,
    TableImportError,
    day_number,
    normalize_setting,
    parse_date,
    period_for_date,
    quarter_period,
)
from ..ptp import MODIFIER_BITS, PtpBuilder

_NAME_RE = re.compile(r"v(\d+)(\d)r(\d+)", re.IGNORECASE)
_PART_RE = re.compile(r"[-_]f(\d+)", re.IGNORECASE)
_CODE_RE = re.compile(r"[A-Z0-9]{5}")


@dataclass(frozen=True, slots=True)
class PtpIdentity:
    setting: str
    version: str
    period: Period
    part: str


def identify_ptp(file_name: str, setting: str | None, effective: date | None) -> PtpIdentity:
    """Setting, version, period and part from the official file name (or the --setting/--effective overrides)."""
    lower = file_name.lower()
    if setting:
        resolved = normalize_setting(setting)
    elif "ccipra" in lower:
        resolved = PRACTITIONER
    elif "ccioph" in lower:
        resolved = HOSPITAL
    else:
        raise TableImportError(
            f"{file_name}: cannot tell practitioner from hospital PTP edits by the file name "
            "(expected ccipra-... or ccioph-...); pass --setting practitioner|hospital"
        )
    if resolved not in (PRACTITIONER, HOSPITAL):
        raise TableImportError(f"{file_name}: PTP edits exist for practitioner and hospital settings, not {resolved!r}")
    m = _NAME_RE.search(file_name)
    period: Period | None = None
    version = ""
    if m:
        major, minor, rev = int(m.group(1)), int(m.group(2)), int(m.group(3))
        version = f"v{m.group(1)}{m.group(2)}r{rev}"
        if minor <= 3:
            period = quarter_period(1994 + major, minor + 1)
    if effective is not None:
        period = period_for_date(effective)
        version = version or period.label
    if period is None:
        raise TableImportError(
            f"{file_name}: no NCCI version (like v322r0) in the file name to date the release; "
            "pass --effective YYYY-MM-DD"
        )
    pm = _PART_RE.search(file_name)
    part = f"f{int(pm.group(1))}" if pm else "f1"
    return PtpIdentity(resolved, version, period, part)


def parse_ptp(
    text_lines: list[str], last_terminated: bool, file_name: str, builder: PtpBuilder, slot: int, report: ImportReport
) -> None:
    """Add every data row of one PTP file to `builder`; notice/header lines are skipped, bad rows reported.

    A data row is any line whose first field is a 5-character code. A final line without a line end in a
    file whose lines are terminated is checked for truncation: if its rationale is not one seen on a complete
    row it is reported as cut off instead of being imported with a clipped rationale.
    """
    malformed = report.malformed
    code_id, rationale_id, add = builder.code_id, builder.rationale_id, builder.add
    code_match = _CODE_RE.fullmatch
    header_seen = False
    rows = 0
    n = len(text_lines)
    seen_rationales: set[str] = set()
    for idx, line in enumerate(text_lines):
        lineno = idx + 1
        if not line.strip():
            report.skipped_lines += 1
            continue
        f = line.split("\t")
        c1 = f[0].strip()
        if not code_match(c1):
            if rows == 0:
                report.skipped_lines += 1
                if "column 1" in line.lower() or "column1" in line.lower():
                    header_seen = True
            else:
                malformed.append(ImportIssue(file_name, lineno, f"not a PTP row (first field {c1[:20]!r} is not a code)"))
            continue
        if len(f) < 6:
            malformed.append(ImportIssue(file_name, lineno, f"expected 7 tab-separated columns, found {len(f)}"))
            continue
        c2 = f[1].strip()
        if not code_match(c2):
            malformed.append(ImportIssue(file_name, lineno, f"column 2 {c2[:20]!r} is not a 5-character code"))
            continue
        prior = f[2].strip()
        if prior not in ("", "*"):
            malformed.append(ImportIssue(file_name, lineno, f"'prior to 1996' column must be '*' or empty, not {prior[:20]!r}"))
            continue
        try:
            eff = parse_date(f[3])
            dele = parse_date(f[4])
        except ValueError as e:
            malformed.append(ImportIssue(file_name, lineno, f"{e}: dates are YYYYMMDD, deletion '*' when none"))
            continue
        if eff is None:
            malformed.append(ImportIssue(file_name, lineno, "missing effective date"))
            continue
        mod = f[5].strip()
        bits = MODIFIER_BITS.get(mod)
        if bits is None:
            malformed.append(ImportIssue(file_name, lineno, f"modifier indicator must be 0, 1 or 9, not {mod[:20]!r}"))
            continue
        rationale = f[6].strip() if len(f) > 6 else ""
        if len(f) > 7 and any(x.strip() for x in f[7:]):
            malformed.append(ImportIssue(file_name, lineno, f"expected 7 tab-separated columns, found {len(f)}"))
            continue
        if idx == n - 1 and not last_terminated and rows > 0 and rationale not in seen_rationales:
            malformed.append(
                ImportIssue(
                    file_name,
                    lineno,
                    f"last line has no line end and an unknown rationale {rationale[:40]!r}: the file looks cut off "
                    "here (re-download or re-extract it)",
                )
            )
            continue
        eff_day = day_number(eff)
        del_day = NO_DATE if dele is None else day_number(dele)
        if not 0 <= eff_day < NO_DATE or not 0 <= del_day <= NO_DATE:
            malformed.append(ImportIssue(file_name, lineno, "date outside 1970-2149"))
            continue
        seen_rationales.add(rationale)
        add(code_id(c1), code_id(c2), eff_day, del_day, bits | (4 if prior == "*" else 0), slot, rationale_id(rationale), lineno)
        rows += 1
    report.rows = rows
    if rows == 0:
        raise TableImportError(
            f"{file_name}: no NCCI PTP rows found"
            + ("" if header_seen else " (no 'Column 1 / Column 2' header either: is this the right kind?)"),
            malformed,
        )
