"""Claims as JSON: one claim object, an array of them, or NDJSON (one claim per line)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from .base import InputFileError, InputItem, claim_from_dict


def _json_error(name: str, exc: json.JSONDecodeError, line_offset: int = 0) -> InputFileError:
    return InputFileError(
        f"not valid JSON: {exc.msg}", f"{name}:{exc.lineno + line_offset}:{exc.colno}"
    )


def read_json(text: str, name: str) -> Iterator[InputItem]:
    try:
        data: Any = json.loads(text)
    except json.JSONDecodeError as exc:
        raise _json_error(name, exc) from None
    if isinstance(data, list):
        for i, obj in enumerate(data):
            yield claim_from_dict(obj, {"file": name, "index": i}, f"{name}#/{i}")
    else:
        yield claim_from_dict(data, {"file": name, "index": 0}, f"{name}#")


def read_ndjson(text: str, name: str) -> Iterator[InputItem]:
    """One claim per non-blank line; a line that is not JSON becomes an error result, not a lost claim."""
    index = 0
    for lineno, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        source = {"file": name, "line": lineno, "index": index}
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            from .base import InputError

            yield InputItem(None, source, InputError(f"not valid JSON: {exc.msg}", f"{name}:{lineno}:{exc.colno}"))
        else:
            yield claim_from_dict(obj, source, f"{name}:{lineno}#")
        index += 1


def looks_like_ndjson(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if len(lines) < 2 or not lines[0].lstrip().startswith("{"):
        return False
    try:
        json.loads(lines[0])
    except json.JSONDecodeError:
        return False
    return True
