"""Claims as JSON: one claim object, an array of them, or NDJSON (one claim per line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .base import InputError, InputFileError, InputItem, PendingClaim, claim_from_dict


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
            yield lineno, InputError(f"not valid JSON: {exc.msg}", f"{name}:{lineno}:{exc.colno}")


def read_ndjson(text: str, name: str, defer: bool = False) -> Iterator[InputItem | PendingClaim]:
    """One claim per non-blank line; a line that is not JSON becomes an error result, not a lost claim."""
    if defer:  # workers parse the lines: the reader only splits them
        index = 0
        for lineno, raw in enumerate(text.splitlines(), start=1):
            if raw.strip():
                yield PendingClaim(raw, {"file": name, "line": lineno, "index": index}, f"{name}:{lineno}#", True)
                index += 1
        return
    for index, (lineno, obj) in enumerate(ndjson_lines(text, name)):
        source = {"file": name, "line": lineno, "index": index}
        if isinstance(obj, InputError):
            yield InputItem(None, source, obj)
        else:
            yield claim_from_dict(obj, source, f"{name}:{lineno}#")


def looks_like_ndjson(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    try:
        json.loads(lines[0])
    except json.JSONDecodeError:
        return False
    return True
