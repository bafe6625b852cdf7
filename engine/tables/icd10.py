"""ICD-10-CM facts rules need, precomputed from the `simple-icd-10-cm` package (CDC tabular data).

What is precomputed, so that scrubbing never reads note text per claim:

* every node (chapter, block, category, subcategory, code) with its parent, leaf flag and title;
* ``manifestation``: the etiology/manifestation convention - a "code first" note on the code or its category
  chain, and either an "in diseases classified elsewhere" title or a note that starts "(the) underlying ...";
  ``code_first`` is the broader flag (any "code first" note, e.g. "code first, if applicable, ...");
* Excludes1: each note's code references parsed into hierarchy nodes: a code ("P70.2"), a prefix ("E08.-",
  "O24.4-") or a range ("E08-E13" -> its block, "E00-E07" -> the categories in it). Notes are not inherited
  in the package, so lookups walk the ancestors of both codes.

``excludes1(a, b)`` is symmetric: a hit when a note owned by `a` or any ancestor of `a` names `b` or any
ancestor of `b` (prefix semantics), or the other way round. The hit says whose note it is.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import pickle
import re
import threading
from bisect import bisect_left, bisect_right
from datetime import date
from pathlib import Path
from typing import Any

from .base import dump_payload, load_payload
from .common import Period, normalize_icd10
from .records import Excludes1Hit, Icd10Info, Provenance

LEAF, CHAPTER, BLOCK, CODE_FIRST_OWN, MANIFESTATION, CODE_FIRST = 1, 2, 4, 8, 16, 32
MAX_DEPTH = 16  # chapter > block > category > ... > 7th character is 8 deep

_CODE = r"[A-Z]\d[0-9A-Z](?:\.[0-9A-Z]{1,4})?"
_REF_RE = re.compile(rf"\b({_CODE})(?:\.?-({_CODE})(?:\.?-)?|(\.?-))?")
_UNDERLYING_RE = re.compile(r"^[\s,]*(the\s+)?underlying\b", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(
    ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november",
     "december"], 1)}


def parse_references(note: str) -> list[tuple[str, str | None, bool]]:
    """Code references in note text: (code, range end or None, is_prefix)."""
    out = []
    for m in _REF_RE.finditer(note):
        out.append((m.group(1), m.group(2), bool(m.group(3))))
    return out


def _release_of(package_dir: Path) -> tuple[str, str, Period, str]:
    """Release label, version, period and source file from the package's tabular XML name."""
    xml = sorted((package_dir / "data").glob("icd10cm*tabular*.xml")) or sorted((package_dir / "data").glob("*.xml"))
    name = xml[0].name if xml else "simple_icd_10_cm"
    m = re.search(r"([A-Za-z]+)-(\d{1,2})-(\d{4})", name)
    if m and m.group(1).lower() in _MONTHS:
        month, day, year = _MONTHS[m.group(1).lower()], int(m.group(2)), int(m.group(3))
        start = date(year, month, day)
        fy = year + 1 if month >= 10 else year
        release = f"ICD-10-CM {m.group(1).capitalize()} {year}"
        return release, f"FY{fy}-{month:02d}", Period(f"FY{fy}", start, date(fy, 9, 30)), name
    return "ICD-10-CM", "unknown", Period("unknown", date(1970, 1, 1), None), name


def build_payload() -> dict[str, Any]:
    """Walk the package once (about 1.5 s) and return the compact payload of an `Icd10Table`."""
    import simple_icd_10_cm as cm

    release, version, period, source = _release_of(Path(cm.__file__).parent)
    codes: list[str] = list(cm.get_all_codes(True))
    # A block that holds one category shares its name (block "B10" holds category B10): the name occurs twice,
    # block first. Lookups by name mean the category (the last occurrence); the block is reached as its parent.
    index = {c: i for i, c in enumerate(codes)}
    first = {}
    for i, c in enumerate(codes):
        first.setdefault(c, i)
    parent = [-1] * len(codes)
    flags = bytearray(len(codes))
    desc: list[str] = []
    code_first_text: dict[int, str] = {}
    for i, c in enumerate(codes):
        as_block = first[c] == i and index[c] != i
        p = cm.get_parent(c, prioritize_blocks=as_block)
        parent[i] = (first[p] if p == c else index.get(p, -1)) if p else -1
        f = 0
        if cm.is_chapter(c):
            f |= CHAPTER
        elif as_block or (cm.is_block(c) and not cm.is_category(c)):
            f |= BLOCK
        elif cm.is_leaf(c):
            f |= LEAF
        cf = cm.get_code_first(c) if not f & (CHAPTER | BLOCK) else ""
        if cf:
            f |= CODE_FIRST_OWN
            code_first_text[i] = cf
        flags[i] = f
        desc.append(cm.get_description(c, prioritize_blocks=as_block))
    # inherited flags along the category chain (blocks and chapters do not carry code-first conventions)
    for i in range(len(codes)):
        if flags[i] & (CHAPTER | BLOCK):
            continue
        chain = []
        j = i
        while j >= 0 and not flags[j] & (CHAPTER | BLOCK) and len(chain) < MAX_DEPTH:
            chain.append(j)
            j = parent[j]
        firsts = [code_first_text[k] for k in chain if k in code_first_text]
        if firsts:
            flags[i] |= CODE_FIRST
            if any("classified elsewhere" in desc[k].lower() for k in chain) or any(_UNDERLYING_RE.match(t) for t in firsts):
                flags[i] |= MANIFESTATION
    # Excludes1 notes -> {owner: {node: note id}}
    categories = sorted(c for c in codes if len(c) == 3 and not flags[index[c]] & (CHAPTER | BLOCK))
    sorted_codes = sorted(c for c in codes if not flags[index[c]] & (CHAPTER | BLOCK))
    blocks = {c for c in codes if flags[index[c]] & BLOCK}
    notes: list[str] = []
    note_ids: dict[str, int] = {}
    ex1: dict[str, dict[str, int]] = {}
    for i, c in enumerate(codes):
        for note in cm.get_excludes1(c, prioritize_blocks=first[c] == i and index[c] != i):
            refs = parse_references(note)
            if not refs:
                continue
            nid = note_ids.get(note)
            if nid is None:
                nid = note_ids[note] = len(notes)
                notes.append(note)
            targets = ex1.setdefault(c, {})
            for start, end, _prefix in refs:
                for node in _resolve(start, end, blocks, categories, sorted_codes):
                    targets.setdefault(node, nid)
    return {
        "kind": "icd10cm",
        "version": version,
        "setting": "all",
        "release": release,
        "period": period.as_dict(),
        "sources": [source],
        "codes": "\n".join(codes),
        "parent": parent,
        "flags": bytes(flags),
        "desc": desc,
        "notes": notes,
        "ex1": ex1,
        "package_version": getattr(cm, "__version__", ""),
    }


def _resolve(start: str, end: str | None, blocks: set[str], categories: list[str], sorted_codes: list[str]) -> list[str]:
    if end is None:
        return [start]
    block = f"{start}-{end}"
    if block in blocks:
        return [block]
    if len(start) == 3 and len(end) == 3:
        return categories[bisect_left(categories, start): bisect_right(categories, end)]
    lo = bisect_left(sorted_codes, start)
    hi = bisect_right(sorted_codes, end)
    nodes = sorted_codes[lo:hi]
    return nodes or [start, end]


class Icd10Table:
    """One ICD-10-CM release: validity, leaf/header, chapter/block, manifestation, Excludes1."""

    kind = "icd10cm"

    def __init__(self, payload: dict[str, Any]) -> None:
        self.payload = payload
        self.version: str = payload["version"]
        self.release: str = payload["release"]
        p = payload["period"]
        self.period = Period(p["label"], date.fromisoformat(p["start"]), date.fromisoformat(p["end"]) if p["end"] else None)
        self.sources: list[str] = payload["sources"]
        self.setting = "all"
        codes = payload["codes"].split("\n")
        self._codes = codes
        self._index = {c: i for i, c in enumerate(codes)}
        self._parent: list[int] = payload["parent"]
        self._flags: bytes = payload["flags"]
        self._desc: list[str] = payload["desc"]
        self._notes: list[str] = payload["notes"]
        self._ex1: dict[str, dict[str, int]] = payload["ex1"]
        self._info: dict[str, Icd10Info] = {}
        self._chains: dict[str, tuple[str, ...]] = {}
        self._ex1_memo: dict[tuple[str, str], Excludes1Hit | None] = {}
        self._prov = Provenance("icd10cm", self.version, self.sources[0] if self.sources else "", None,
                                self.period.start, self.period.end)

    def __len__(self) -> int:
        return len(self._codes)

    def chain(self, code: str) -> tuple[str, ...]:
        """The code and all its ancestors up to the chapter (empty for an unknown code)."""
        hit = self._chains.get(code)
        if hit is not None:
            return hit
        i = self._index.get(code, -1)
        out = []
        while i >= 0 and len(out) < MAX_DEPTH:  # bounded: a store built by an older release may hold a cycle
            out.append(self._codes[i])
            i = self._parent[i]
        result = tuple(out)
        if len(self._chains) > 200_000:
            self._chains.clear()
        self._chains[code] = result
        return result

    def get(self, code: str) -> Icd10Info:
        hit = self._info.get(code)
        if hit is not None:
            return hit
        norm = normalize_icd10(code)
        i = self._index.get(norm, -1)
        if i < 0 or self._flags[i] & (CHAPTER | BLOCK):
            info = Icd10Info(norm, False, False, False, None, None, False, self.release, self._prov)
        else:
            f = self._flags[i]
            chapter = block = None
            j = self._parent[i]
            steps = 0
            while j >= 0 and steps < MAX_DEPTH:
                steps += 1
                fj = self._flags[j]
                if fj & BLOCK and block is None:
                    block = self._codes[j]
                elif fj & CHAPTER:
                    chapter = self._codes[j]
                j = self._parent[j]
            info = Icd10Info(
                code=norm,
                valid=True,
                billable=bool(f & LEAF),
                header=not f & LEAF,
                chapter=chapter,
                block=block,
                manifestation=bool(f & MANIFESTATION),
                release=self.release,
                provenance=self._prov,
                code_first=bool(f & CODE_FIRST),
                description=self._desc[i],
            )
        if len(self._info) > 200_000:
            self._info.clear()
        self._info[code] = info
        return info

    def _one_way(self, code: str, other: str) -> Excludes1Hit | None:
        ex1 = self._ex1
        other_chain = None
        for owner in self.chain(code):
            targets = ex1.get(owner)
            if targets is None:
                continue
            if other_chain is None:
                other_chain = self.chain(other)
            for node in other_chain:
                nid = targets.get(node)
                if nid is not None:
                    return Excludes1Hit(code, other, self._notes[nid], owner, self._prov)
        return None

    def excludes1(self, code: str, other: str) -> Excludes1Hit | None:
        key = (code, other)
        memo = self._ex1_memo
        if key in memo:  # claims repeat the same few diagnosis pairs: remember each answer, hits and misses
            return memo[key]
        a, b = normalize_icd10(code), normalize_icd10(other)
        hit = None if a == b else (self._one_way(a, b) or self._one_way(b, a))
        if len(memo) > 200_000:
            memo.clear()
        memo[key] = hit
        return hit

    def codes(self, billable_only: bool = False) -> list[str]:
        return [c for i, c in enumerate(self._codes)
                if not self._flags[i] & (CHAPTER | BLOCK) and (not billable_only or self._flags[i] & LEAF)]


_lock = threading.Lock()
_package_table: Icd10Table | None = None


BUILD = 2  # bump when build_payload's output changes, so cached copies are rebuilt


def cache_path() -> Path | None:
    """Where the packaged release's built table is cached: $CLAIMSCRUB_CACHE (0 turns caching off), else
    $XDG_CACHE_HOME/claimscrub, else ~/.cache/claimscrub; one file per package version and builder."""
    env = os.environ.get("CLAIMSCRUB_CACHE")
    if env == "0":
        return None
    if env:
        base = Path(env).expanduser()
    else:
        xdg = os.environ.get("XDG_CACHE_HOME")
        base = (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / "claimscrub"
    try:
        from importlib.metadata import version

        pkg = version("simple-icd-10-cm")
    except Exception:  # noqa: BLE001 - no metadata: do not cache what cannot be told apart
        return None
    return base / f"icd10cm-simple-icd-10-cm-{pkg}-b{BUILD}.table"


def _cached_payload() -> dict[str, Any]:
    """The built payload from the cache (about 40 ms), else built (about 1.5 s) and cached for next time."""
    path = cache_path()
    if path is not None and path.exists():
        try:
            return load_payload(path)
        except (OSError, ValueError, pickle.UnpicklingError, EOFError):
            pass  # unreadable or from another format: rebuild it
    payload = build_payload()
    if path is not None:
        with contextlib.suppress(OSError):  # a read-only home only costs the rebuild next time
            dump_payload(path, payload)
    return payload


def package_table() -> Icd10Table:
    """The release shipped in `simple-icd-10-cm` when no store copy exists; built once and cached on disk."""
    global _package_table
    if _package_table is None:
        with _lock:
            if _package_table is None:
                _package_table = Icd10Table(_cached_payload())
    return _package_table


def package_available() -> bool:
    """Whether simple-icd-10-cm is installed, without importing it (its import parses the whole release)."""
    return importlib.util.find_spec("simple_icd_10_cm") is not None
