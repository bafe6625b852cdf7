"""What every input reader yields: one item per claim found, parsed or not, so no claim is ever lost.

A reader never raises for a bad claim inside a good file: it yields an `InputItem` whose `error` says what and
where (JSON pointer, or X12 segment and position). A file that cannot be read at all raises `InputFileError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from ..model import Claim


@dataclass(slots=True)
class InputError:
    message: str
    location: str  # "claims.json#/2/lines/0/units", "file.837 segment 41 (CLM) element 2"

    def as_dict(self) -> dict[str, str]:
        return {"message": self.message, "location": self.location}


@dataclass(slots=True)
class InputItem:
    claim: Claim | None
    source: dict[str, Any] = field(default_factory=dict)
    error: InputError | None = None
    claim_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.claim is not None


class InputFileError(Exception):
    """The whole file is unusable (not the format it claims, broken envelope, unreadable)."""

    def __init__(self, message: str, location: str) -> None:
        super().__init__(f"{location}: {message}")
        self.message = message
        self.location = location


def pointer(parts: tuple[Any, ...] | list[Any]) -> str:
    """RFC 6901 JSON pointer."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def validation_message(exc: ValidationError) -> tuple[str, str]:
    """The first error of a pydantic validation as (message, pointer), plus a count of the rest."""
    errors = exc.errors(include_url=False)
    first = errors[0]
    loc = pointer([p for p in first["loc"] if not (isinstance(p, str) and p.startswith("function-"))])
    msg = first["msg"]
    if first.get("type") == "missing":
        msg = "required field is missing"
    elif first.get("type") == "extra_forbidden":
        msg = "unknown field (see `claimscrub schema claim` for the fields a claim has)"
    if len(errors) > 1:
        more = "; ".join(
            f"{pointer(list(e['loc'])) or '/'}: {e['msg']}" for e in errors[1:4]
        )
        msg += f" (and {len(errors) - 1} more: {more}{'...' if len(errors) > 4 else ''})"
    return msg, loc


def claim_from_dict(data: Any, source: dict[str, Any], base: str) -> InputItem:
    """Validate one claim object; `base` is the location prefix (file#/index) for the JSON pointer."""
    cid = data.get("claim_id") if isinstance(data, dict) else None
    cid = str(cid) if cid is not None else None
    if not isinstance(data, dict):
        return InputItem(None, source, InputError(f"expected a claim object, got {type(data).__name__}", base), cid)
    try:
        claim = Claim.model_validate(data)
    except ValidationError as exc:
        msg, loc = validation_message(exc)
        return InputItem(None, source, InputError(msg, f"{base}{loc}"), cid)
    if claim.source is None:
        claim.source = source
    return InputItem(claim, source, None, claim.claim_id)


@dataclass(slots=True)
class PendingClaim:
    """A claim read but not yet validated (or, with `text`, not yet parsed from its NDJSON line):
    `scrub --jobs` sends these to its workers, so parsing and validation run in parallel too."""

    data: Any
    source: dict[str, Any]
    base: str
    text: bool = False  # data is the raw JSON text of one NDJSON line

    def resolve(self) -> InputItem:
        data = self.data
        if self.text:
            try:
                data = json.loads(data)
            except json.JSONDecodeError as exc:
                return InputItem(None, self.source, json_line_error(self.source["file"], self.source["line"], exc))
        return claim_from_dict(data, self.source, self.base)


def looks_utf16(raw: bytes) -> bool:
    """UTF-16 by its BOM, or by the NUL after each ASCII byte of a file without one."""
    return raw[:2] in (b"\xff\xfe", b"\xfe\xff") or (len(raw) > 3 and raw[1] == 0 and raw[3] == 0)


def json_line_error(name: str, lineno: int, exc: json.JSONDecodeError) -> InputError:
    """One NDJSON line that is not JSON, located as file:line:column."""
    return InputError(f"not valid JSON: {exc.msg}", f"{name}:{lineno}:{exc.colno}")


def decode_text(raw: bytes) -> str:
    """A claim file's text: UTF-16 by BOM or by its NUL pattern, else UTF-8, else Latin-1 (837 senders use both)."""
    bom = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    if looks_utf16(raw):
        try:
            return raw.decode("utf-16" if bom else "utf-16-le")
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")

