"""Helpers shared by the table-store tests (test files write their own small inputs with these)."""

from __future__ import annotations

from pathlib import Path


def write(path: Path, text: str, encoding: str = "latin-1") -> Path:
    """Write a test file byte-exactly (no newline translation), Latin-1 like CMS."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding=encoding, newline="") as fh:
        fh.write(text)
    return path


PTP_HEAD = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t\r\n"
    "Column1/Column2 Edits\t\t\t\t\t\t\r\n"
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale\r\n"
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t\r\n"
    "\t\t\t\t*=no data\t1=allowed\t\r\n"
    "\t\t\t\t\t9=not applicable\t\r\n"
)


def ptp_file(path: Path, rows: list[str]) -> Path:
    """A PTP file in the CMS layout with the given tab-separated rows (CRLF-terminated)."""
    return write(path, PTP_HEAD + "".join(r + "\r\n" for r in rows))
