"""Input readers. `read_path` detects the format from content; every reader yields `InputItem`s."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

from .base import InputError, InputFileError, InputItem, PendingClaim, decode_text, looks_utf16
from .json_input import looks_like_ndjson, ndjson_file_lines, read_json, read_ndjson

FORMATS = ("auto", "json", "ndjson", "x12", "fhir")
SUFFIXES = (".json", ".ndjson", ".jsonl", ".837", ".837i", ".837p", ".edi", ".x12", ".txt")

__all__ = ["FORMATS", "InputError", "InputFileError", "InputItem", "PendingClaim", "detect_format", "read_path", "read_text",
           "expand_paths"]


_X12_START = re.compile(r"(?m)^[ \t]*(?:ISA|GS|ST)[^A-Za-z0-9\s]")


def detect_format(text: str) -> str:
    head = text.lstrip("\ufeff \t\r\n")[:4096]
    if "\x00" in head[:64]:  # UTF-16 read as 8-bit: ASCII with NULs between
        head = head.replace("\x00", "").lstrip("\ufeff\ufffe \t\r\n")
    # X12 starts with ISA (a stray GS/ST start still goes to the X12 reader, which says what is missing);
    # TR3 examples put a prose preface before the ISA.
    if head.startswith("ISA") or _X12_START.search(head[:4096]):
        return "x12"
    if head.startswith("{") or head.startswith("["):
        if '"resourceType"' in head[:2048]:
            return "fhir"
        return "ndjson" if looks_like_ndjson(text.lstrip("\ufeff")) else "json"
    return "unknown"


def read_text(text: str, name: str, input_format: str = "auto",
              defer: bool = False) -> Iterator[InputItem | PendingClaim]:
    """Claims of one text; `defer` leaves JSON claim objects unvalidated (`PendingClaim`) for a worker to check."""
    fmt = detect_format(text) if input_format == "auto" else input_format
    if fmt == "json":
        yield from read_json(text.lstrip("\ufeff"), name, defer)
    elif fmt == "ndjson":
        yield from read_ndjson(text.lstrip("\ufeff"), name, defer)
    elif fmt == "x12":
        from .x12 import read_x12  # noqa: PLC0415 - optional reader, loaded on demand

        yield from read_x12(text, name)
    elif fmt == "fhir":
        from .fhir import read_fhir  # noqa: PLC0415

        yield from read_fhir(text, name)
    else:
        raise InputFileError(
            "cannot tell the input format: expected JSON claims, NDJSON, an X12 837 (starting with ISA) or FHIR "
            "Claim JSON; pass --input-format to say which",
            f"{name}:1:1",
        )


STREAM_HEAD = 1 << 16


def read_path(path: Path, input_format: str = "auto", defer: bool = False) -> Iterator[InputItem | PendingClaim]:
    """Claims of one file. NDJSON streams line by line (bounded memory for any size); other formats, and NDJSON
    whose format cannot be told from its first 64 KB, are read whole."""
    if input_format in ("auto", "ndjson") and _streams_as_ndjson(path, input_format):
        yield from read_ndjson(ndjson_file_lines(path), str(path), defer)
        return
    yield from read_text(decode_text(path.read_bytes()), str(path), input_format, defer)


def _streams_as_ndjson(path: Path, input_format: str) -> bool:
    with open(path, "rb") as fh:
        head = fh.read(STREAM_HEAD)
    if looks_utf16(head):
        return False  # UTF-16: decoded as a whole
    if b"\n" not in head:
        return False  # one line, or CR-only line ends: the whole-file reader splits those
    if input_format == "ndjson":
        return True
    text = head.decode("utf-8", errors="replace")
    return detect_format(text) == "ndjson"


def expand_paths(paths: Iterable[Path]) -> list[Path]:
    """Directories expand to their claim files, sorted, so a batch is processed in a stable order."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in SUFFIXES))
        else:
            out.append(p)
    return out
