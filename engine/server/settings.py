"""Server settings: one frozen value built by `claimscrub serve` and handed to every worker through the
environment (uvicorn workers are separate processes started from an import string)."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

ENV_VAR = "CLAIMSCRUB_SERVER_SETTINGS"


@dataclass(frozen=True)
class Settings:
    host: str = "127.0.0.1"
    port: int = 8080
    workers: int = 1
    rules: list[str] = field(default_factory=list)  # empty: the shipped rules
    payers: str | None = None  # payer profile directory; default: shipped, unless --rules alone is given
    data: str | None = None  # reference table store; default: $CLAIMSCRUB_DATA or ~/.local/share/claimscrub
    api_key_file: str | None = None
    admin_key_file: str | None = None
    max_body: int = 10 * 1024 * 1024
    max_claims: int = 1000
    sync_file: str | None = None  # workers watch it: a reload in one worker (or SIGHUP) reloads them all

    @property
    def payer_routing(self) -> bool:
        """Same rule as `claimscrub scrub`: custom rule packs alone mean no payer profiles."""
        return not self.rules or self.payers is not None

    def rule_paths(self) -> list[Path] | None:
        return [Path(p) for p in self.rules] or None

    def to_env(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_env(cls) -> Settings:
        raw = os.environ.get(ENV_VAR)
        return cls(**json.loads(raw)) if raw else cls()


def read_keys(path: str | None) -> list[bytes]:
    """One key per line; blank lines and `#` comments ignored. Keys are compared as bytes."""
    if not path:
        return []
    keys = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keys.append(line.encode())
    return keys
