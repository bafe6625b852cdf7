"""Claims as JSON: one claim object, an array of them, or NDJSON (one claim per line)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from .base import InputFileError, InputItem, PendingClaim, claim_from_dict, json_line_error


def _json_error(name: str, exc: json.JSONDecodeError, line_offset: int = 0) -> InputFileError:
    return InputFileError(
        f"not valid JSON: {exc.msg}", f"{name}:{exc.lineno + line_offset}:{exc.colno}"
    )


def read_json(text: str, name: str, defer: bool = False) -> Iterator[InputItem | PendingClaim]:
    make = PendingClaim if defer else claim_from_dict
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(name, exc) from None
    if isinstance(data, list):
        for i, obj in enumerate(data):
            yield make(obj, {"file": name, "index": i}, f"{name}#/{i}")
    else:
        yield make(data, {"file": name, "index": 0}, f"{name}#")


def ndjson_lines(text: str, name: str) -> Iterator[tuple[int, Any]]:
    """(line number, parsed object or InputError) for each non-blank line; shared by the claim and FHIR readers."""
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            yield lineno, json.loads(raw)
        except json.JSONDecodeError as exc:
            yield lineno, json_line_error(name, lineno, exc)


def read_ndjson(text: str | Iterable[str], name: str, defer: bool = False) -> Iterator[InputItem | PendingClaim]:
    """One claim per non-blank line (of a text, or lines streamed from a file); a line that is not JSON becomes
    an error result, not a lost claim. With `defer` the lines go out unparsed, for `--jobs` workers."""
    lines = text.splitlines() if isinstance(text, str) else text
    index = 0
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        pending = PendingClaim(raw, {"file": name, "line": lineno, "index": index}, f"{name}:{lineno}#", True)
        index += 1
        yield pending if defer else pending.resolve()


def ndjson_file_lines(path: Path) -> Iterator[str]:
    """The lines of an NDJSON file read one at a time, so a file of any size streams in bounded memory; each
    line is UTF-8, else Latin-1 (the whole-file reader decides once per file)."""
    with open(path, "rb") as fh:
        for n, raw in enumerate(fh):
            if n == 0 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError:
                line = raw.decode("latin-1")
            yield line.rstrip("\r\n")


def looks_like_ndjson(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    try:
        json.loads(lines[0])
    except json.JSONDecodeError:
        return False
    return True
