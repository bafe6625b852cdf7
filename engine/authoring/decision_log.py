"""Decision log: one JSON line per scrubbed claim, for audit and replay, with no PHI.

    {"time": "2026-11-24T15:02:11Z", "claim": "9f86d081884c7d65", "status": "findings",
     "ruleset": {"name": "claimscrub", "version": "2026.11.0", "sha256": "…"}, "engine": "0.1.0",
     "as_of": "2026-11-24", "payer_profile": {"id": "acme", "version": "2026.2"}, "rules": ["MOD-59-X"]}

`claim` is the first 16 hex digits of the SHA-256 of the claim id (never the id itself, never member or
patient data); `ruleset.sha256` with the engine version identifies the exact behaviour so a decision can be
replayed. `payer_profile` is present only when the claim was routed through a profile.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any


def claim_hash(claim_id: str | None) -> str | None:
    return hashlib.sha256(claim_id.encode("utf-8")).hexdigest()[:16] if claim_id else None


def decision_record(result: dict[str, Any], header: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The log entry for one result of `Scrubber.scrub_item` and the run's `Scrubber.header()`."""
    rs = dict(header.get("ruleset") or {})
    per_claim = result.get("ruleset") or {}  # payer routing: each claim's own effective rule set
    ruleset = {"name": per_claim.get("name", rs.get("name")), "version": per_claim.get("version", rs.get("version")),
               "sha256": per_claim.get("sha256", rs.get("sha256"))}
    when = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    rec: dict[str, Any] = {
        "time": when.isoformat().replace("+00:00", "Z"),
        "claim": claim_hash(result.get("claim_id")),
        "status": result.get("status"),
        "ruleset": ruleset,
        "engine": (header.get("engine") or {}).get("version"),
        "as_of": header.get("as_of"),
    }
    pp = result.get("payer_profile")
    if pp and pp.get("id"):
        rec["payer_profile"] = {"id": pp["id"], "version": pp.get("version")}
    rec["rules"] = [f["rule_id"] for f in result.get("findings") or []]
    return rec


def write_decision(stream: IO[str], result: dict[str, Any], header: dict[str, Any],
                   now: datetime | None = None) -> None:
    stream.write(json.dumps(decision_record(result, header, now), ensure_ascii=False, sort_keys=False) + "\n")


def append_decisions(path: Path, results: Iterable[dict[str, Any]], header: dict[str, Any]) -> int:
    n = 0
    with path.open("a", encoding="utf-8") as fh:
        for r in results:
            write_decision(fh, r, header)
            n += 1
    return n
