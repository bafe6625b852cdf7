"""X12 837P (005010X222A1/A2) and 837I (005010X223A2/A3) to the claim model, streaming.

Why a reader of our own instead of pyx12 or x12sdk (see docs/x12-parsers.md for the measurements): a scrubber needs
every claim out of every file, parsed or not, with the segment it came from; both libraries stop at the first file
they dislike (BOM, errata versions, one bad HI) and neither yields per-claim results. This reader walks segments
with `str.find` on the ISA-declared terminator and keeps only the current claim and its HL context in memory, so a
100,000-claim file streams in bounded memory beyond its text. TR3 conformance (SNIP 1-2) is pyx12's job:
`claimscrub.inputs.x12_validate.validate_x12`.

Policy: a file that is not X12, not an 837, a version we do not read (004010) or a broken interchange header raises
`InputFileError` naming the segment and element; a problem inside one claim (bad date, amount, HI, missing
required loop, invalid segment identifier) yields an `InputItem` with `error` for that claim and reading goes on.
A syntax problem outside a claim (header, billing provider or subscriber loop) marks every claim under it, because
the receiver's 999 rejects that whole scope.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from ..model import Claim
from .base import InputError, InputFileError, InputItem, validation_message

__all__ = ["SUPPORTED_VERSIONS", "Delimiters", "iter_segments", "read_x12"]

# Implementation guide ids this reader maps (GS08 / ST03). The base (pre-addenda) 5010 ids are accepted because
# the published TR3 examples use them and the claim-level segments we read did not change in the addenda.
PROFESSIONAL_VERSIONS = frozenset({"005010X222", "005010X222A1", "005010X222A2"})
INSTITUTIONAL_VERSIONS = frozenset({"005010X223", "005010X223A1", "005010X223A2", "005010X223A3"})
SUPPORTED_VERSIONS = PROFESSIONAL_VERSIONS | INSTITUTIONAL_VERSIONS

# Fixed widths of ISA01..ISA16: the ISA is the one fixed-length segment, and its width is how readers find the
# separators, so a wrong width means the separators cannot be trusted.
_ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
_SEGMENT_ID = re.compile(r"[A-Z][A-Z0-9]{1,2}\Z")
_DIGITS8 = re.compile(r"\d{8}\Z")

_TRANSACTION_NAMES = {
    "835": "835 (claim payment/advice)",
    "999": "999 (implementation acknowledgment)",
    "997": "997 (functional acknowledgment)",
    "277": "277 (claim status / acknowledgment)",
    "276": "276 (claim status request)",
    "270": "270 (eligibility inquiry)",
    "271": "271 (eligibility response)",
    "834": "834 (benefit enrollment)",
    "278": "278 (services review)",
    "820": "820 (premium payment)",
    "TA1": "TA1 (interchange acknowledgment)",
}
_GS01_NAMES = {"HP": "835", "FA": "999/997", "HN": "277", "HR": "276", "HS": "270", "HB": "271", "BE": "834",
               "HI": "278", "RA": "820"}

# HI qualifiers that carry diagnoses, with the code version. Principal first; 837P pointers count HI positions,
# so professional claims keep the file order exactly.
_DX_QUALIFIERS: dict[str, str] = {
    "ABK": "icd10", "ABF": "icd10", "ABJ": "icd10", "ABN": "icd10", "APR": "icd10",
    "BK": "icd9", "BF": "icd9", "BJ": "icd9", "BN": "icd9", "PR": "icd9",
}
_PRINCIPAL = frozenset({"ABK", "BK"})


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators an interchange declares in its ISA (they may differ between interchanges in one file)."""

    element: str
    component: str
    repetition: str | None
    segment: str


class _Fatal(Exception):
    """File-level problem found while walking segments; turned into InputFileError (or an error item)."""

    def __init__(self, message: str, segment: int, seg_id: str, element: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.segment = segment
        self.seg_id = seg_id
        self.element = element

    def location(self, name: str) -> str:
        loc = f"{name} segment {self.segment} ({self.seg_id})" if self.seg_id else f"{name} segment {self.segment}"
        return loc + (f" element {self.element}" if self.element else "")


def _loc(name: str, index: int, seg_id: str, element: int | None = None, component: int | None = None) -> str:
    out = f"{name} segment {index} ({seg_id})"
    if element is not None:
        out += f" element {element}"
        if component is not None:
            out += f" component {component}"
    return out


def _clean_text(text: str) -> str:
    """Undo what transport does to X12 text: a BOM, and UTF-16 read as 8-bit (NUL after every ASCII byte)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    head = text[:200]
    if head.count("\x00") > len(head) // 4:
        text = text.replace("\x00", "").lstrip("\ufeff\ufffe")
    return text


def _find_isa(text: str) -> int:
    """Offset of the first ISA: at the start, or at a line start after prose (TR3 examples carry a preface)."""
    stripped = len(text) - len(text.lstrip())
    if text.startswith("ISA", stripped):
        return stripped
    m = re.search(r"(?m)^[ \t]*(ISA)[^A-Za-z0-9\s]", text[:65536])
    return m.start(1) if m else -1


def _parse_isa(text: str, pos: int, name: str, index: int) -> tuple[Delimiters, list[str], int]:
    """Read the fixed-length ISA at `pos`: its delimiters, its elements and the offset after its terminator."""
    if len(text) < pos + 106:
        raise _Fatal("interchange header is cut short: an ISA segment is 106 characters", index, "ISA")
    el = text[pos + 3]
    if el.isalnum() or el.isspace():
        raise _Fatal(f"cannot read the element separator after 'ISA' (found {el!r})", index, "ISA")
    elements: list[str] = []
    cur = pos + 4
    for n in range(1, 16):
        nxt = text.find(el, cur, pos + 200)
        if nxt < 0:
            raise _Fatal(f"ISA has fewer than 16 elements (ISA{n:02d} not terminated by {el!r})", index, "ISA", n)
        elements.append(text[cur:nxt])
        cur = nxt + 1
    component = text[cur]
    terminator = text[cur + 1] if cur + 1 < len(text) else ""
    elements.append(component)
    for n, (value, width) in enumerate(zip(elements, _ISA_WIDTHS, strict=True), start=1):
        if len(value) != width:
            raise _Fatal(
                f"ISA{n:02d} must be {width} characters, got {len(value)}: the ISA is fixed-length (106 characters) "
                "and its separators cannot be trusted",
                index, "ISA", n,
            )
    if not terminator or terminator.isalnum() or terminator in (el, component):
        raise _Fatal(f"cannot read the segment terminator after ISA16 (found {terminator!r})", index, "ISA", 16)
    rep = elements[10]
    repetition = rep if not rep.isalnum() and rep not in (el, component, terminator, " ") else None
    return Delimiters(el, component, repetition, terminator), elements, cur + 2


def iter_segments(text: str, name: str = "<x12>") -> Iterator[tuple[int, list[str], Delimiters]]:
    """Yield (1-based segment index, elements, delimiters) for every segment, re-reading delimiters at each ISA.

    Whitespace around segments (CR/LF after the terminator, pretty-print indentation) is ignored; the text is not
    split up front, so memory stays at the text plus one segment.
    """
    text = _clean_text(text)
    start = _find_isa(text)
    if start < 0:
        first = text.lstrip()[:3]
        seg_hint = re.match(r"[A-Z][A-Z0-9]{1,2}", first)
        found = f"; it starts with {seg_hint.group(0)!r}" if seg_hint else ""
        raise _Fatal(f"no ISA interchange header: an X12 file starts with ISA{found}", 1, seg_hint.group(0) if seg_hint else "")
    pos = start
    n = len(text)
    index = 0
    delims: Delimiters | None = None
    while pos < n:
        # skip whitespace between segments
        while pos < n and text[pos] in " \t\r\n":
            pos += 1
        if pos >= n:
            break
        if text.startswith("ISA", pos) and pos + 3 < n and not text[pos + 3].isalnum():
            index += 1
            delims, elements, pos = _parse_isa(text, pos, name, index)
            yield index, ["ISA", *elements], delims
            continue
        assert delims is not None
        end = text.find(delims.segment, pos)
        if end < 0:
            end = n
        raw = text[pos:end].strip()
        pos = end + 1
        if not raw:
            continue
        index += 1
        yield index, raw.split(delims.element), delims


# --------------------------------------------------------------------------------------------------- values


class _Bad(Exception):
    """A value problem at one element; becomes part of the claim's error."""

    def __init__(self, message: str, element: int | None = None, component: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.element = element
        self.component = component


def _el(seg: list[str], i: int) -> str:
    return seg[i].strip() if i < len(seg) else ""


def _amount(value: str, element: int, what: str) -> Decimal | None:
    if not value:
        return None
    try:
        d = Decimal(value)
    except InvalidOperation:
        raise _Bad(f"{what} {value!r} is not a number", element) from None
    if not d.is_finite():
        raise _Bad(f"{what} {value!r} is not a number", element)
    return d


def _d8(value: str, element: int, what: str) -> date:
    if not _DIGITS8.match(value):
        raise _Bad(f"{what} {value!r} is not a CCYYMMDD date", element)
    try:
        return date(int(value[:4]), int(value[4:6]), int(value[6:8]))
    except ValueError:
        raise _Bad(f"{what} {value!r} is not a calendar date", element) from None


def _dtp(seg: list[str]) -> tuple[date, date]:
    """DTP02 format D8 / RD8 / DT (and RD8 written with one date) to a (from, to) pair."""
    fmt, value = _el(seg, 2), _el(seg, 3)
    if fmt == "D8":
        d = _d8(value, 3, "date")
        return d, d
    if fmt == "RD8":
        a, sep, b = value.partition("-")
        d1 = _d8(a, 3, "range start")
        return d1, (_d8(b, 3, "range end") if sep else d1)
    if fmt == "DT":
        d = _d8(value[:8], 3, "date-time")
        return d, d
    raise _Bad(f"date format qualifier {fmt!r} is not D8, RD8 or DT", 2)


# --------------------------------------------------------------------------------------------------- state


@dataclass(slots=True)
class _Scope:
    """One HL level (or the transaction header): what claims under it inherit, and problems found in it."""

    data: dict[str, Any] = field(default_factory=dict)
    problems: list[tuple[str, str]] = field(default_factory=list)  # (message, location)
    hl_index: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    last_nm1: str = ""


@dataclass(slots=True)
class _ClaimState:
    claim: dict[str, Any]
    source: dict[str, Any]
    claim_id: str | None
    index: int
    problems: list[tuple[str, str]] = field(default_factory=list)
    loop: str = "2300"
    line: dict[str, Any] | None = None
    line_index: int = 0
    hi_index: int = 0
    diagnoses: list[dict[str, Any]] = field(default_factory=list)
    line_locs: list[str] = field(default_factory=list)
    owner: str | None = None  # the 2310 provider a PRV belongs to
    bad_lines: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Envelope:
    interchange: str | None = None
    group: str | None = None
    group_version: str | None = None
    group_index: int = 0
    transaction: str | None = None
    version: str | None = None
    st_index: int = 0
    submission_date: date | None = None


def _short(location: str) -> str:
    """'file.837 segment 41 (CLM)' -> 'segment 41 (CLM)': the file is already named once in the message."""
    head, sep, tail = location.rpartition(" segment ")
    return f"segment {tail}" if sep else location


def _error_item(problems: list[tuple[str, str]], source: dict[str, Any], claim_id: str | None) -> InputItem:
    msg, loc = problems[0]
    if len(problems) > 1:
        rest = "; ".join(f"{_short(location)}: {message}" for message, location in problems[1:4])
        msg += f" (and {len(problems) - 1} more: {rest}{'...' if len(problems) > 4 else ''})"
    return InputItem(None, source, InputError(msg, loc), claim_id)


class _Reader:
    """The segment state machine. One instance per file; `feed` returns the finished claim items, if any."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.env = _Envelope()
        self.header = _Scope()
        self.billing: _Scope | None = None
        self.subscriber: _Scope | None = None
        self.patient: _Scope | None = None
        self.claim: _ClaimState | None = None
        self.in_st = False
        self.st_ok = False  # inside a supported 837 transaction set
        self.skip_reason: tuple[str, str] | None = None  # why the current transaction set is not read
        self.seen_837 = False
        self.other_types: list[str] = []
        self.yielded = 0
        self.st_pos = 0
        self.gs_fic = ""
        self.pending: InputItem | None = None
        self.first_other: str | None = None
        self.delims = Delimiters("*", ":", None, "~")

    # ---- helpers
    def loc(self, index: int, seg_id: str, element: int | None = None, component: int | None = None) -> str:
        return _loc(self.name, index, seg_id, element, component)

    def scope(self) -> _Scope:
        return self.patient or self.subscriber or self.billing or self.header

    def problem(self, message: str, location: str) -> None:
        if self.claim is not None:
            self.claim.problems.append((message, location))
        else:
            self.scope().problems.append((message, location))

    # ---- claims
    def start_claim(self, index: int, seg: list[str], st_pos: int) -> None:
        env = self.env
        claim_id = _el(seg, 1) or None
        source = {
            "file": self.name, "interchange": env.interchange, "group": env.group, "transaction": env.transaction,
            "segment": index, "st_segment": st_pos, "version": env.version,
        }
        claim: dict[str, Any] = {"claim_id": claim_id or "", "submission_date": env.submission_date}
        state = _ClaimState(claim, source, claim_id, index)
        self.claim = state
        if not claim_id:
            state.problems.append(("claim id (CLM01, patient control number) is missing", self.loc(index, "CLM", 1)))
        try:
            claim["total_charge"] = _amount(_el(seg, 2), 2, "total charge")
        except _Bad as exc:
            state.problems.append((exc.message, self.loc(index, "CLM", exc.element)))
        c5 = _el(seg, 5)
        if not c5:
            state.problems.append((
                "required composite CLM05 (facility code : qualifier : frequency code) is missing",
                self.loc(index, "CLM", 5),
            ))
            comps = ["", "", ""]
        else:
            comps = (c5.split(self.delims.component) + ["", "", ""])[:3]
        facility, qualifier, frequency = (c.strip() for c in comps)
        # An empty qualifier is common and harmless (the version says which claim type); a wrong one, or a
        # composite written with another separator, means the facility code cannot be trusted.
        if c5 and (qualifier not in ("A", "B", "") or (not qualifier and _sep_hint(c5, self.delims.component))):
            state.problems.append((
                f"CLM05-2 facility code qualifier {qualifier!r} is not A (UB-04 type of bill) or B (place of "
                f"service){_sep_hint(c5, self.delims.component)}",
                self.loc(index, "CLM", 5, 2),
            ))
        institutional = qualifier == "A" or (qualifier != "B" and (env.version or "") in INSTITUTIONAL_VERSIONS)
        claim["type"] = "institutional" if institutional else "professional"
        if frequency:
            claim["frequency_code"] = frequency
        if institutional:
            claim["facility_type"] = facility or None
            claim["type_of_bill"] = (facility + frequency) if facility else None
        else:
            claim["place_of_service"] = facility or None

    def finish_claim(self) -> InputItem | None:
        state = self.claim
        if state is None:
            return None
        self.close_line()
        self.claim = None
        problems: list[tuple[str, str]] = []
        for scope in (self.header, self.billing, self.subscriber, self.patient):
            if scope is not None:
                problems.extend(scope.problems)
        claim = state.claim
        # Inherit the HL context.
        if self.billing is not None:
            claim.update(self.billing.data)
        if self.subscriber is not None:
            claim.update(self.subscriber.data)
        if self.patient is not None:
            # The patient is not the subscriber: demographics come from 2010CA only; the member id stays the
            # subscriber's (5010 patients have no id of their own), the relationship comes from PAT01.
            sub_patient = self.subscriber.data.get("patient", {}) if self.subscriber is not None else {}
            claim["patient"] = {"id": sub_patient.get("id"), **self.patient.data.get("patient", {})}
        problems.extend(state.problems)
        problems.extend(self.required_loops(state))
        if state.diagnoses:
            dx = state.diagnoses
            if claim.get("type") == "institutional":
                dx = sorted(dx, key=lambda d: 0 if d["qualifier"] in _PRINCIPAL else 1)
            claim["diagnoses"] = dx
        self.yielded += 1
        if problems:
            return _error_item(problems, state.source, state.claim_id)
        claim["source"] = state.source
        try:
            model = Claim.model_validate(claim)
        except ValidationError as exc:
            msg, ptr = validation_message(exc)
            return InputItem(None, state.source, InputError(msg, self.model_location(state, ptr)), state.claim_id)
        return InputItem(model, state.source, None, model.claim_id)

    def model_location(self, state: _ClaimState, ptr: str) -> str:
        """Point a model validation error back at the segment the value came from."""
        parts = ptr.strip("/").split("/")
        if parts and parts[0] == "lines" and len(parts) > 1 and parts[1].isdigit():
            i = int(parts[1])
            if i < len(state.line_locs):
                return f"{state.line_locs[i]} {ptr}"
        if parts and parts[0] == "diagnoses" and state.hi_index:
            return f"{self.loc(state.hi_index, 'HI')} {ptr}"
        return f"{self.loc(state.index, 'CLM')} {ptr}"

    def required_loops(self, state: _ClaimState) -> list[tuple[str, str]]:
        """The loops a scrubber cannot do without; TR3-only requirements are left to validate_x12."""
        out: list[tuple[str, str]] = []
        clm = self.loc(state.index, "CLM")
        if self.billing is None:
            out.append(("claim is not under a billing provider (HL level 20)", clm))
        elif self.billing.counts.get("NM1*85", 0) == 0:
            out.append((
                "billing provider name loop 2010AA (NM1*85) is required but not found in this HL 20",
                self.loc(self.billing.hl_index, "HL"),
            ))
        elif self.billing.counts.get("NM1*85", 0) > 1:
            out.append((
                "billing provider name loop 2010AA (NM1*85) appears more than once in this HL 20",
                self.loc(self.billing.hl_index, "HL"),
            ))
        if self.subscriber is None:
            out.append(("claim is not under a subscriber (HL level 22)", clm))
        elif self.subscriber.counts.get("NM1*IL", 0) == 0:
            out.append((
                "subscriber name loop 2010BA (NM1*IL) is required but not found in this HL 22",
                self.loc(self.subscriber.hl_index, "HL"),
            ))
        if state.hi_index == 0:
            out.append(("HI (health care diagnosis code) is required in loop 2300 but not found", clm))
        if not state.claim.get("lines") and not any("bad" in ln for ln in state.bad_lines):
            out.append(("claim has no service lines: loop 2400 (LX) is required", clm))
        return out

    def close_line(self) -> None:
        state = self.claim
        if state is None or state.line is None:
            return
        line = state.line
        state.line = None
        if "code" not in line:
            if line.get("bad"):
                state.bad_lines.append(line)
                return  # the SV1/SV2 problem is already reported
            state.problems.append((
                "service line has no SV1/SV2 service segment",
                state.line_locs[-1] if state.line_locs else self.loc(state.index, "CLM"),
            ))
            return
        state.claim.setdefault("lines", []).append(line)

    # ---- the walk
    def feed(self, index: int, seg: list[str], delims: Delimiters) -> InputItem | None:
        self.delims = delims
        sid = seg[0]
        if not _SEGMENT_ID.match(sid):
            shown = sid[:10] if sid else ""
            where = self.loc(index, shown or "?")
            msg = f"invalid segment identifier {shown!r}: a segment starts with 2-3 upper-case letters or digits"
            if self.st_ok:
                self.problem(msg, where)
            elif not self.in_st:
                self.orphan(msg, where)
            return None
        if sid == "ISA":
            return self.on_isa(index, seg)
        if sid == "IEA":
            out = self.finish_claim()
            self.env = _Envelope()
            return out
        if sid == "GS":
            self.on_gs(index, seg)
            return None
        if sid == "GE":
            return self.finish_claim()
        if sid == "ST":
            out = self.finish_claim()
            self.on_st(index, seg)
            return out
        if sid == "SE":
            out = self.finish_claim()
            self.in_st = False
            self.st_ok = False
            return out
        if not self.in_st:
            self.orphan(f"segment {sid} is outside a transaction set (no ST before it): broken envelope",
                        self.loc(index, sid))
        if not self.st_ok:
            if sid == "CLM" and self.skip_reason is not None:
                # A claim in a transaction set we cannot read: it still gets its own item.
                msg, loc = self.skip_reason
                self.yielded += 1
                source = {"file": self.name, "interchange": self.env.interchange, "group": self.env.group,
                          "transaction": self.env.transaction, "segment": index}
                return InputItem(None, source, InputError(msg, loc), _el(seg, 1) or None)
            return None
        self.st_pos += 1
        try:
            return self.on_segment(index, sid, seg)
        except _Bad as exc:
            self.problem(exc.message, self.loc(index, sid, exc.element, exc.component))
            return None

    def orphan(self, message: str, location: str) -> None:
        """Segments outside ST..SE: read on as an unreadable transaction set, so each claim still gets an item."""
        self.finish_claim_silently()
        self.in_st = True
        self.st_ok = False
        self.skip_reason = (message, location)

    def finish_claim_silently(self) -> None:
        if self.claim is not None:
            self.pending = self.finish_claim()

    def on_isa(self, index: int, seg: list[str]) -> InputItem | None:
        out = self.finish_claim()
        self.env = _Envelope(interchange=seg[13].strip())
        self.header = _Scope()
        self.billing = self.subscriber = self.patient = None
        self.in_st = False
        self.st_ok = False
        return out

    def on_gs(self, index: int, seg: list[str]) -> None:
        if self.env.interchange is None:
            self.orphan("functional group (GS) without an ISA interchange header before it (after IEA)",
                        self.loc(index, "GS"))
            return
        self.env.group = _el(seg, 6) or None
        self.env.group_version = _el(seg, 8) or None
        self.env.group_index = index
        self.gs_fic = _el(seg, 1)

    def on_st(self, index: int, seg: list[str]) -> None:
        env = self.env
        if env.group_index == 0:
            self.orphan("transaction set (ST) outside a functional group (no GS before it)", self.loc(index, "ST"))
            return
        self.in_st = True
        self.st_pos = 1
        env.transaction = _el(seg, 2) or None
        env.st_index = index
        env.submission_date = None
        self.header = _Scope()
        self.billing = self.subscriber = self.patient = None
        kind = _el(seg, 1)
        st03 = _el(seg, 3)
        version = st03 or env.group_version or ""
        if kind != "837":
            label = _TRANSACTION_NAMES.get(kind, kind or "an unnamed transaction")
            self.other_types.append(label)
            if self.first_other is None:
                self.first_other = self.loc(index, "ST", 1)
            self.st_ok = False
            self.skip_reason = (f"not an 837 claim: transaction set is {label}", self.loc(index, "ST", 1))
            return
        self.seen_837 = True
        if version not in SUPPORTED_VERSIONS:
            elem, sid, where = (3, "ST", index) if st03 else (8, "GS", env.group_index)
            older = " (004010 claims are pre-2012 HIPAA; convert to 005010)" if version.startswith("00401") else ""
            self.skip_reason = (
                f"unsupported X12 version {version!r}{older}: claimscrub reads 837P 005010X222A1/A2 and "
                "837I 005010X223A2/A3",
                self.loc(where, sid, elem),
            )
            self.st_ok = False
            return
        # When GS08 and ST03 disagree (OopFactory's institutional examples say X222 in GS08, X223 in ST03),
        # ST03 wins, as the TR3 says; CLM05-2 (A/B) then settles professional vs institutional per claim.
        self.skip_reason = None
        env.version = version
        self.st_ok = True

    def on_segment(self, index: int, sid: str, seg: list[str]) -> InputItem | None:
        env = self.env
        comp = self.delims.component
        if sid == "BHT":
            bht4 = _el(seg, 4)
            if bht4:
                env.submission_date = _d8(bht4, 4, "transaction set creation date")
            return None
        if sid == "HL":
            out = self.finish_claim()
            level = _el(seg, 3)
            new = _Scope(hl_index=index)
            if level == "20":
                self.billing, self.subscriber, self.patient = new, None, None
            elif level == "22":
                self.subscriber, self.patient = new, None
            elif level == "23":
                self.patient = new
            else:
                raise _Bad(f"hierarchical level code {level!r} is not 20, 22 or 23", 3)
            return out
        if sid == "CLM":
            out = self.finish_claim()
            self.start_claim(index, seg, self.st_pos)
            return out
        state = self.claim
        if state is None:
            self.on_context_segment(index, sid, seg)
            return None
        claim = state.claim
        q = _el(seg, 1)
        if sid == "LX":
            self.close_line()
            state.loop = "2400"
            num = _el(seg, 1)
            state.line = {"source": {"segment": index, "st_segment": self.st_pos}}
            state.line_locs.append(self.loc(index, "LX"))
            if num:
                if not num.isdigit():
                    raise _Bad(f"line number {num!r} is not a whole number", 1)
                state.line["number"] = int(num)
            return None
        if sid in ("SV1", "SV2"):
            if state.line is None or "code" in state.line:
                raise _Bad(f"{sid} outside a service line: loop 2400 starts with LX")
            try:
                self.service(state.line, sid, seg, comp)
            except _Bad:
                state.line["bad"] = True
                raise
            return None
        if sid == "SV3" or sid == "SV5":
            return None
        if sid == "HI":
            if state.loop != "2300":
                return None
            if not state.hi_index:
                state.hi_index = index
            self.hi(state, index, seg, comp)
            return None
        if sid == "DTP":
            if state.loop == "2300":
                if q == "434":
                    claim["statement_from"], claim["statement_to"] = _dtp(seg)
                elif q == "435":
                    claim["admission_date"] = _dtp(seg)[0]
                elif q == "472" and "statement_from" not in claim:
                    claim["statement_from"], claim["statement_to"] = _dtp(seg)
            elif state.loop == "2400" and state.line is not None and q == "472":
                state.line["service_date_from"], state.line["service_date_to"] = _dtp(seg)
            return None
        if sid == "REF":
            if q == "G1":
                if state.loop == "2300":
                    claim["prior_authorization"] = _el(seg, 2) or None
                elif state.loop == "2400" and state.line is not None:
                    state.line["prior_authorization"] = _el(seg, 2) or None
            return None
        if sid == "PWK":
            if state.loop in ("2300", "2400"):
                att = {"report_type": q, "transmission": _el(seg, 2) or None, "control_number": _el(seg, 6) or None}
                if state.loop == "2400" and state.line is not None:
                    att["line"] = state.line.get("number") or len(state.line_locs)
                claim.setdefault("attachments", []).append(att)
            return None
        if sid == "NM1":
            if state.loop in ("2300", "2310"):
                state.loop = "2310"
                if q in ("82", "71"):
                    key = "rendering_provider" if q == "82" else "attending_provider"
                    claim[key] = {"name": _el(seg, 3) or None, "npi": _npi(seg)}
                    state.owner = key
                else:
                    state.owner = None
                return None
            if state.loop in ("2400", "2410", "2420"):
                state.loop = "2420"
                if q == "82" and state.line is not None:
                    state.line["rendering_npi"] = _npi(seg)
                return None
            return None  # 2330 other-payer names: not the claim's payer or subscriber
        if sid == "PRV":
            if state.loop == "2310" and state.owner in claim and _el(seg, 3):
                claim[state.owner]["taxonomy"] = _el(seg, 3)
            return None
        if sid == "LIN":
            if state.loop in ("2400", "2410") and state.line is not None:
                state.loop = "2410"
                if _el(seg, 2) == "N4" and _el(seg, 3):
                    state.line["ndc"] = _el(seg, 3)
            return None
        if sid == "SBR":
            state.loop = "2320"  # other subscriber information: other payers' data, not this claim's
            return None
        return None

    def on_context_segment(self, index: int, sid: str, seg: list[str]) -> None:
        """Segments of the header and the HL 20/22/23 loops, before any CLM of that HL."""
        scope = self.scope()
        q = _el(seg, 1)
        if scope is self.header:
            return  # submitter / receiver: nothing a rule reads
        data = scope.data
        if sid == "NM1":
            key = f"NM1*{q}"
            scope.counts[key] = scope.counts.get(key, 0) + 1
            scope.last_nm1 = q
            if scope is self.billing and q == "85":
                data["billing_provider"] = {**data.get("billing_provider", {}), "name": _el(seg, 3) or None,
                                            "npi": _npi(seg)}
            elif scope is self.subscriber and q == "IL":
                data.setdefault("subscriber", {})["member_id"] = _el(seg, 9) or None
                data.setdefault("patient", {}).setdefault("id", _el(seg, 9) or None)
            elif scope is self.subscriber and q == "PR":
                data["payer"] = {"id": _el(seg, 9) or None, "name": _el(seg, 3) or None}
            elif scope is self.patient and q == "QC" and _el(seg, 9):
                data.setdefault("patient", {})["id"] = _el(seg, 9)
            return
        last = scope.last_nm1
        if sid == "PRV" and scope is self.billing and q == "BI" and _el(seg, 3):
            data.setdefault("billing_provider", {})["taxonomy"] = _el(seg, 3)
        elif sid == "REF" and scope is self.billing and last == "85" and q == "EI":
            data.setdefault("billing_provider", {})["tax_id"] = _el(seg, 2) or None
        elif sid in ("N3", "N4") and scope is self.billing and last == "85":
            address = data.setdefault("billing_provider", {}).setdefault("address", {})
            if sid == "N3":
                address.update(line1=_el(seg, 1) or None, line2=_el(seg, 2) or None)
            else:
                address.update(city=_el(seg, 1) or None, state=_el(seg, 2) or None, zip=_el(seg, 3) or None,
                               country=_el(seg, 4) or None)
        elif sid == "SBR" and scope is self.subscriber:
            if _el(seg, 3):
                data.setdefault("subscriber", {})["group_number"] = _el(seg, 3)
            if _el(seg, 2):
                data.setdefault("patient", {})["relationship"] = _el(seg, 2)
        elif sid == "PAT" and scope is self.patient and q:
            data.setdefault("patient", {})["relationship"] = q
        elif sid == "DMG" and (
            (scope is self.subscriber and last == "IL") or (scope is self.patient and last == "QC")
        ):
            dmg = data.setdefault("patient", {})
            if _el(seg, 1) == "D8" and _el(seg, 2):
                dmg["birth_date"] = _d8(_el(seg, 2), 2, "birth date")
            sex = _el(seg, 3)
            if sex:
                if sex not in ("F", "M", "U"):
                    raise _Bad(f"sex code {sex!r} is not F, M or U", 3)
                dmg["sex"] = sex

    def service(self, line: dict[str, Any], sid: str, seg: list[str], comp: str) -> None:
        if sid == "SV1":
            proc, charge_el, unit_el, units_el = 1, 2, 3, 4
            pos = _el(seg, 5)
            if pos:
                line["place_of_service"] = pos
            ptrs = _el(seg, 7)
            if ptrs:
                out = []
                for i, p in enumerate(ptrs.split(comp), start=1):
                    p = p.strip()
                    if not p:
                        continue
                    if not p.isdigit() or not 1 <= int(p) <= 12:
                        raise _Bad(f"diagnosis pointer {p!r} is not a number 1-12", 7, i)
                    out.append(int(p))
                line["diagnosis_pointers"] = out
        else:
            proc, charge_el, unit_el, units_el = 2, 3, 4, 5
            rev = _el(seg, 1)
            if rev:
                line["revenue_code"] = rev
        composite = _el(seg, proc)
        if composite:
            parts = [c.strip() for c in composite.split(comp)]
            if len(parts) < 2 or not parts[1]:
                raise _Bad(f"procedure composite {composite!r} has no code: expected qualifier{comp}code"
                           f"{_sep_hint(composite, comp)}", proc)
            line["code_system"] = parts[0] or "HC"
            line["code"] = parts[1]
            line["modifiers"] = [m for m in parts[2:6] if m]
        elif sid == "SV2" and line.get("revenue_code"):
            line["code_system"] = "NU"  # revenue-code-only institutional line
            line["code"] = line["revenue_code"]
        else:
            raise _Bad(f"{sid}{proc:02d} procedure code is missing", proc)
        charge = _amount(_el(seg, charge_el), charge_el, "line charge")
        if charge is not None:
            line["charge"] = charge
        if _el(seg, unit_el):
            line["unit_type"] = _el(seg, unit_el)
        units = _amount(_el(seg, units_el), units_el, "units")
        if units is not None:
            line["units"] = units

    def hi(self, state: _ClaimState, index: int, seg: list[str], comp: str) -> None:
        for i in range(1, len(seg)):
            raw = seg[i].strip()
            if not raw:
                continue
            parts = raw.split(comp)
            qual = parts[0].strip()
            if len(parts) < 2 or not parts[1].strip():
                if qual in _DX_QUALIFIERS:
                    nxt = _el(seg, i + 1)
                    hint = f" (did the sender mean {qual}{comp}{nxt}?)" if nxt and comp not in nxt else ""
                    raise _Bad(f"HI{i:02d} {raw!r} has a qualifier but no code: expected qualifier{comp}code{hint}", i)
                if qual:
                    raise _Bad(f"HI{i:02d} {raw!r} is not qualifier{comp}code{_sep_hint(raw, comp)}", i)
                continue
            version = _DX_QUALIFIERS.get(qual)
            if version is None:
                continue  # occurrence, value, condition codes, procedures (BH, BE, BG, BBR...): not diagnoses
            dx: dict[str, Any] = {"code": parts[1].strip(), "qualifier": qual, "version": version}
            poa = parts[8].strip() if len(parts) > 8 else ""
            if poa:
                dx["poa"] = poa
            state.diagnoses.append(dx)


def _sep_hint(value: str, comp: str) -> str:
    """When a composite uses another separator than ISA16 declares, say so: the usual cause of a bad HI/SV1."""
    for other in ">:^|":
        if other != comp and other in value:
            return (f" (ISA16 declares {comp!r} as the component separator, but this element seems to use "
                    f"{other!r})")
    return ""


def _npi(seg: list[str]) -> str | None:
    return (_el(seg, 9) or None) if _el(seg, 8) == "XX" else None


def read_x12(text: str, name: str) -> Iterator[InputItem]:
    """Yield one InputItem per CLM in an X12 837 file (parsed claim or per-claim error); see module docstring."""
    reader = _Reader(name)
    readable_later: bool | None = None
    try:
        for index, seg, delims in iter_segments(text, name):
            item = reader.feed(index, seg, delims)
            if reader.pending is not None:
                yield reader.pending
                reader.pending = None
            if seg[0] == "ST" and reader.skip_reason is not None and reader.yielded == 0:
                # The first transaction set is unreadable (not an 837, or 004010): one clear file error, unless
                # a readable 837 follows in the file (then each claim of this set gets its own error item).
                if readable_later is None:
                    readable_later = _more_837(text, delims, reader)
                if not readable_later:
                    msg, loc = reader.skip_reason
                    raise InputFileError(msg if reader.seen_837 else f"{msg}; claimscrub reads X12 837 claims", loc)
            if item is not None:
                yield item
    except _Fatal as exc:
        if reader.yielded == 0:
            raise InputFileError(exc.message, exc.location(name)) from None
        yield InputItem(None, {"file": name, "segment": exc.segment}, InputError(exc.message, exc.location(name)))
        return
    open_st = reader.in_st and reader.st_ok
    last = reader.finish_claim()
    if open_st:
        problem = (f"transaction set {reader.env.transaction} is not closed: no SE before the end of the file "
                   "(truncated?)", _loc(name, reader.env.st_index, "ST"))
        if last is not None:
            rest = [(last.error.message, last.error.location)] if last.error else []
            last = _error_item([problem, *rest], last.source, last.claim_id)
        elif reader.yielded == 0:
            raise InputFileError(f"{problem[0]}; no claim was found before the cut", problem[1])
        else:
            last = _error_item([problem], {"file": name, "segment": reader.env.st_index}, None)
    if last is not None:
        yield last
    if reader.yielded == 0 and not reader.seen_837:
        kinds = ", ".join(dict.fromkeys(reader.other_types)) or "no transaction sets"
        raise InputFileError(f"not an 837 claim file: it holds {kinds}; claimscrub reads X12 837 claims",
                             reader.first_other or f"{name} segment 1 (ISA)")


def _more_837(text: str, delims: Delimiters, reader: _Reader) -> bool:
    """Whether a readable 837 transaction set may follow (so an unreadable first one must not end the file)."""
    el = re.escape(delims.element)
    versions = "|".join(sorted(SUPPORTED_VERSIONS))
    return re.search(rf"ST{el}837{el}[^{el}]*{el}(?:{versions})\b|GS{el}HC(?:{el}[^{el}]*){{7}}(?:{versions})",
                     text) is not None
