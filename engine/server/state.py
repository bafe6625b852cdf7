"""The rule set in service, as one immutable snapshot behind one reference.

A reload builds a complete new snapshot (rules checked and compiled, payer profiles resolved) and only then
swaps the reference; a request takes the reference once and uses that snapshot to the end, so it never sees
half of a reload. A reload that fails leaves the old snapshot in place and returns the errors.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ..api import Scrubber, load_ruleset
from ..model import Claim
from ..source import Diagnostic, RuleSetError
from .settings import Settings

log = logging.getLogger("claimscrub.server")

CACHE_SIZE = 32  # (payer, as_of) scrubbers kept per snapshot; compiling one costs milliseconds


def open_tables(data: str | None) -> Any | None:
    """The reference table store if one exists; rules needing a missing table are skipped and reported."""
    try:
        from ..tables.store import default_data_dir
        from ..tables.store import open_tables as _open
    except ImportError:
        return None
    return _open(Path(data) if data else default_data_dir())


@dataclass
class Snapshot:
    """Everything one request needs, built before it is put in service and never changed afterwards
    (apart from the scrubber cache, which only memoises pure constructions)."""

    generation: int
    loaded_at: str
    digest: str  # covers the base packs and every payer profile: changes whenever behaviour can change
    ruleset: Any | None  # plain mode: the RuleSet
    registry: Any | None  # payer mode: the PayerRegistry
    tables: Any | None
    _cache: OrderedDict[tuple[str | None, date], Any] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def scrubber(self, payer: str | None, as_of: date) -> Any:
        """A Scrubber or PayerScrubber for this payer (None: route by the claim) and processing date.

        Raises KeyError for an unknown payer, ValueError when payer routing is off."""
        key = (payer, as_of)
        with self._lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit
        if self.registry is None:
            if payer:
                raise ValueError("payer routing is off: the server runs custom --rules without --payers")
            built: Any = Scrubber(self.ruleset, self.tables, as_of)
        else:
            from ..payer_profiles import PayerScrubber

            built = PayerScrubber(self.registry, self.tables, as_of, False, payer)
        with self._lock:
            self._cache[key] = built
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        return built

    def primary_sha(self, as_of: date | None = None) -> str:
        return str(self.scrubber(None, as_of or date.today()).ruleset.sha256)

    def for_claim(self, scrubber: Any, claim: Claim) -> Any:
        """The plain Scrubber a claim is routed to (what PayerScrubber.scrub_item does), for explain."""
        if self.registry is None:
            return scrubber
        return scrubber.route(claim)[1]


def build_snapshot(settings: Settings, generation: int) -> Snapshot:
    """Load, check and compile everything; raises RuleSetError (all diagnostics) or OSError."""
    for p in settings.rules + ([settings.payers] if settings.payers else []):
        if not Path(p).exists():
            raise RuleSetError([Diagnostic("E000", f"{p} does not exist", None)])
    tables = open_tables(settings.data)
    h = hashlib.sha256()
    if settings.payer_routing:
        from ..payer_profiles import PayerScrubber, load_registry

        registry = load_registry(Path(settings.payers) if settings.payers else None, settings.rule_paths())
        PayerScrubber(registry, tables)  # raises RuleSetError on profile errors
        for pack in sorted(registry.base_packs, key=lambda p: p.name):
            h.update(f"pack {pack.name} {pack.version} {getattr(pack, 'sha256', '')}\n".encode())
        for pid, prof in sorted(registry.profiles.items()):
            h.update(f"profile {pid} {prof.sha256}\n".encode())
        ruleset = None
    else:
        registry = None
        ruleset = load_ruleset(settings.rule_paths())
    snap = Snapshot(generation, datetime.now(UTC).isoformat(timespec="seconds"), "", ruleset, registry,
                    tables)
    h.update(snap.primary_sha().encode())  # also compiles and warms today's default scrubber
    snap.digest = h.hexdigest()
    return snap


@dataclass
class ReloadResult:
    ok: bool
    generation: int
    sha256: str
    digest: str
    errors: list[dict[str, Any]]
    seconds: float

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "generation": self.generation, "ruleset_sha256": self.sha256, "digest": self.digest,
                "errors": self.errors, "seconds": round(self.seconds, 3)}


class Holder:
    """Owns the reference to the snapshot in service; reloads are serialised by a lock."""

    def __init__(self, settings: Settings, on_reload: Any = None) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self.current = build_snapshot(settings, 1)
        self.last_error: list[dict[str, Any]] = []
        self.on_reload = on_reload
        self.seen_token = self._read_token()

    def reload(self, publish: bool = True) -> ReloadResult:
        """Build a new snapshot and swap it in; on failure keep the old one. `publish` tells other workers."""
        t0 = time.perf_counter()
        with self._lock:
            old = self.current
            try:
                new = build_snapshot(self.settings, old.generation + 1)
            except RuleSetError as exc:
                errors = [d.as_dict() for d in exc.diagnostics]
            except (OSError, ValueError, KeyError) as exc:
                errors = [{"severity": "error", "message": f"{type(exc).__name__}: {exc}"}]
            else:
                self.current = new  # the one reference swap
                self.last_error = []
                if publish:
                    self._publish()
                result = ReloadResult(True, new.generation, new.primary_sha(), new.digest, [],
                                      time.perf_counter() - t0)
                log.info("rule set reloaded: generation %d sha256 %s", new.generation, result.sha256[:12])
                if self.on_reload:
                    self.on_reload(result)
                return result
            self.last_error = errors
            result = ReloadResult(False, old.generation, old.primary_sha(), old.digest, errors,
                                  time.perf_counter() - t0)
            log.warning("rule set reload failed (%d errors); keeping generation %d", len(errors), old.generation)
            if self.on_reload:
                self.on_reload(result)
            return result

    # ---- several workers: a token file, rewritten on every successful reload, that all workers watch -------

    def _read_token(self) -> str | None:
        path = self.settings.sync_file
        if not path:
            return None
        try:
            return Path(path).read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def _publish(self) -> None:
        path = self.settings.sync_file
        if not path:
            return
        self.seen_token = publish_token(path)

    def watch(self, stop: threading.Event, interval: float = 0.5) -> None:
        """Reload when another worker (or SIGHUP to the supervisor) rewrote the token file."""
        while not stop.wait(interval):
            token = self._read_token()
            if token is not None and token != self.seen_token:
                self.seen_token = token
                self.reload(publish=False)


def publish_token(path: str) -> str:
    token = uuid.uuid4().hex
    tmp = f"{path}.{os.getpid()}.tmp"
    Path(tmp).write_text(token, encoding="utf-8")
    os.replace(tmp, path)
    return token
