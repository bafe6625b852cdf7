"""Reference tables for rules: NCCI PTP, MUE, add-on codes, MCE, ICD-10-CM and payer csv tables.

`open_tables()` reads the versioned store that `claimscrub data import` writes; `MemoryTables.from_rows()`
builds the same lookups from row dicts for tests and examples. Both implement `records.TableSource`.
"""

from .common import ImportIssue, ImportReport, TableImportError
from .memory import MemoryTables
from .records import (
    AddonEdit,
    Excludes1Hit,
    Icd10Info,
    MceInfo,
    MueLimit,
    Provenance,
    PtpEdit,
    TableRow,
    TableSource,
)
from .store import Store, StoreTables, default_data_dir, open_tables

__all__ = [
    "AddonEdit",
    "Excludes1Hit",
    "Icd10Info",
    "ImportIssue",
    "ImportReport",
    "MceInfo",
    "MemoryTables",
    "MueLimit",
    "Provenance",
    "PtpEdit",
    "Store",
    "StoreTables",
    "TableImportError",
    "TableRow",
    "TableSource",
    "default_data_dir",
    "open_tables",
]
