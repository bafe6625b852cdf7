"""Shared vocabulary of the table store: kinds, settings, dates, periods, import reports.

Kept free of any table format so importers, the store and the in-memory source agree on one meaning of a
date, a quarter or a setting.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

KINDS = ("ncci-ptp", "mue", "addon", "mce", "icd10cm", "csv")
"""Table kinds the store knows. A csv table is addressed as ``csv:<name>``."""

PRACTITIONER = "practitioner"
HOSPITAL = "hospital"
DME = "dme"
ALL = "all"  # tables without a setting (addon, mce, icd10cm, csv)

SETTING_ALIASES = {
    "practitioner": PRACTITIONER,
    "professional": PRACTITIONER,
    "837p": PRACTITIONER,
    "physician": PRACTITIONER,
    "pra": PRACTITIONER,
    "hospital": HOSPITAL,
    "institutional": HOSPITAL,
    "outpatient": HOSPITAL,
    "outpatient-hospital": HOSPITAL,
    "facility": HOSPITAL,
    "837i": HOSPITAL,
    "oph": HOSPITAL,
    "dme": DME,
    "dme-supplier": DME,
}


def normalize_setting(value: str) -> str:
    """Map the spellings rules and users use ("837P", "institutional", ...) onto the store's three settings."""
    try:
        return SETTING_ALIASES[value.strip().lower()]
    except KeyError:
        raise ValueError(f"unknown setting {value!r}: use practitioner, hospital or dme") from None


def setting_of(value: str) -> str:
    """Hot-path variant of `normalize_setting` that never raises (unknown settings simply find no table)."""
    return SETTING_ALIASES.get(value) or SETTING_ALIASES.get(value.strip().lower(), value)


# ---------------------------------------------------------------------------------------------------- dates

EPOCH = date(1970, 1, 1)
_EPOCH_ORD = EPOCH.toordinal()
NO_DATE = 0xFFFF  # sentinel day number for "no date" (`*` in CMS files) in 16-bit day arrays
MAX_DAY = NO_DATE - 1  # 2149-06-05: last representable date


def day_number(d: date) -> int:
    """Days since 1970-01-01: compact, comparable and fits 16 bits until 2149."""
    return d.toordinal() - _EPOCH_ORD


def from_day_number(n: int) -> date:
    return date.fromordinal(n + _EPOCH_ORD)


def parse_date(value: object) -> date | None:
    """Parse the date spellings found in CMS files and row dicts; `*`, blank and None mean "no date".

    Accepts date objects, ISO ``YYYY-MM-DD``, ``YYYYMMDD``, ``MM/DD/YYYY``, ``MM-DD-YYYY`` and the
    7-digit Julian ``YYYYDDD`` used by the add-on code file. Raises ValueError for anything else.
    """
    if value is None:
        return None
    if isinstance(value, date):
        return value
    s = str(value).strip()
    if s in ("", "*", "-"):
        return None
    if s.isdigit():
        if len(s) == 8:
            if s in ("99999999", "00000000") or s.startswith("9999"):
                return None
            return date(int(s[:4]), int(s[4:6]), int(s[6:]))
        if len(s) == 7:
            if s.startswith("9999") or s == "0000000":
                return None
            year, doy = int(s[:4]), int(s[4:])
            if not 1 <= doy <= 366:
                raise ValueError(f"bad Julian date {s!r}")
            return date(year, 1, 1) + timedelta(days=doy - 1)
        raise ValueError(f"bad date {s!r}")
    m = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?", s)
    if m:
        y, mo, d = (int(g) for g in m.groups())
        return None if y == 9999 else date(y, mo, d)
    m = re.fullmatch(r"(\d{1,2})[/-](\d{1,2})[/-](\d{4})", s)
    if m:
        mo, d, y = (int(g) for g in m.groups())
        return None if y == 9999 else date(y, mo, d)
    raise ValueError(f"bad date {s!r}")


# -------------------------------------------------------------------------------------------------- periods


@dataclass(frozen=True, slots=True)
class Period:
    """The effective period of a table version: a calendar quarter, a fiscal year or an explicit start date."""

    label: str  # "2026Q3", "FY2020", "2026-07-15"
    start: date
    end: date | None  # None when open-ended

    def as_dict(self) -> dict[str, str | None]:
        return {"label": self.label, "start": self.start.isoformat(), "end": self.end.isoformat() if self.end else None}


def quarter_period(year: int, quarter: int) -> Period:
    start = date(year, 3 * quarter - 2, 1)
    end = date(year + 1, 1, 1) - timedelta(days=1) if quarter == 4 else date(year, 3 * quarter + 1, 1) - timedelta(days=1)
    return Period(f"{year}Q{quarter}", start, end)


def period_for_date(d: date) -> Period:
    """A quarter when `d` starts one (CMS quarterly releases), else an open period starting on `d`."""
    if d.day == 1 and d.month in (1, 4, 7, 10):
        return quarter_period(d.year, (d.month - 1) // 3 + 1)
    return Period(d.isoformat(), d, None)


def fiscal_year_period(fy: int) -> Period:
    """Federal fiscal year FY: October 1 of FY-1 through September 30 of FY (MCE, ICD-10-CM)."""
    return Period(f"FY{fy}", date(fy - 1, 10, 1), date(fy, 9, 30))


# ----------------------------------------------------------------------------------------------------- codes

_CODE_RE = re.compile(r"[A-Z0-9]{5}")


def is_hcpcs(code: str) -> bool:
    """CPT / HCPCS codes are five characters, digits and capital letters."""
    return _CODE_RE.fullmatch(code) is not None


def normalize_icd10(code: str) -> str:
    """ICD-10-CM codes dotted and upper case ("e119" -> "E11.9"), the form claims arrive in."""
    c = code.strip().upper()
    if "." in c:
        return c[:-1] if c.endswith(".") else c
    return c if len(c) <= 3 else f"{c[:3]}.{c[3:]}"


def undotted(code: str) -> str:
    return code.strip().upper().replace(".", "")


# -------------------------------------------------------------------------------------------- import reports


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """A problem found in a source file, always with the file and the 1-based line it is on."""

    file: str
    line: int | None
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}" if self.line else f"{self.file}: {self.message}"


@dataclass(slots=True)
class ImportReport:
    """What one file contributed to the store: counts, issues, and where the rows went."""

    file: str
    kind: str
    setting: str = ALL
    version: str = ""
    period: Period | None = None
    sha256: str = ""
    rows: int = 0
    malformed: list[ImportIssue] = field(default_factory=list)
    warnings: list[ImportIssue] = field(default_factory=list)
    skipped_lines: int = 0  # preamble, notice and header lines recognised as such
    noop: bool = False
    replaced: str | None = None  # name of the older file with the same part/version this one replaced
    encoding: str = ""

    def summary(self) -> str:
        where = f"{self.kind}" + (f" {self.setting}" if self.setting != ALL else "")
        period = f" ({self.period.label})" if self.period and self.period.label != self.version else ""
        if self.noop:
            return f"{self.file}: already imported as {where} {self.version}{period} (same SHA-256); nothing to do"
        text = f"{self.file}: {where} {self.version}{period}: {self.rows} rows"
        if self.malformed:
            text += f", {len(self.malformed)} malformed row(s) skipped"
        if self.replaced:
            text += f" (replaces {self.replaced})"
        return text


class TableImportError(Exception):
    """The file cannot be imported as asked (wrong kind, unreadable, malformed rows under --strict, ...)."""

    def __init__(self, message: str, issues: list[ImportIssue] | None = None) -> None:
        super().__init__(message)
        self.issues = issues or []


def read_source(path: Path) -> tuple[str, str]:
    """Read a whole source file as text: UTF-8 (BOM tolerated) when it decodes, else Latin-1 like CMS publishes.

    Latin-1 never fails, so a stray byte becomes a character instead of an exception; line ends are kept as
    they are so the importers can tell a cut final line from a complete one.
    """
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def split_lines(text: str) -> tuple[list[str], bool]:
    """Split on LF (CRLF tolerated; `\\x85` and other Unicode breaks are not line ends in these files).

    Returns the lines without terminators and whether the last line was terminated.
    """
    lines = text.split("\n")
    terminated = True
    if lines and lines[-1] == "":
        lines.pop()
    else:
        terminated = False
    return [ln[:-1] if ln.endswith("\r") else ln for ln in lines], terminated


def csv_records(reader: Any, file_name: str, report: ImportReport) -> Iterator[tuple[int, list[str]]]:
    """(line the record starts on, cells) for each record of a `csv.reader`, quoted multi-line cells counted;
    an unreadable record is reported as malformed and ends the file."""
    prev_end = 0
    while True:
        try:
            rec = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            report.malformed.append(ImportIssue(file_name, reader.line_num, f"unreadable CSV record: {e}"))
            return
        start, prev_end = prev_end + 1, reader.line_num
        yield start, rec

