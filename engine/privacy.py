"""Keyed hashes for identifiers that are PHI (claim ids, member ids, names).

A plain sha256 of a claim id or member id is re-identified by hashing guesses; an HMAC with a secret
the attacker does not hold is not. One deployment secret serves the decision log, the claim history
store and the service logs, so the same id hashes the same everywhere within one deployment (and
differently in another).

Where the secret comes from, first match wins:

1. ``CLAIMSCRUB_HASH_KEY``: the secret itself (at least 16 characters);
2. ``CLAIMSCRUB_HASH_KEY_FILE``: a file holding it (surrounding whitespace is ignored);
3. ``<data dir>/hash.key``: created on first use with 32 random bytes, mode 0600, so that a laptop
   install hashes consistently across runs without any set-up. Shared deployments should set 1 or 2.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

KEY_ENV = "CLAIMSCRUB_HASH_KEY"
KEY_FILE_ENV = "CLAIMSCRUB_HASH_KEY_FILE"
KEY_FILE_NAME = "hash.key"
MIN_KEY_CHARS = 16
HASH_CHARS = 32  # 128 bits of the HMAC: collisions are not a concern at claim volumes


class HashKeyError(RuntimeError):
    """The configured secret is missing, unreadable or too short."""


def _default_key_path() -> Path:
    from .tables.store import default_data_dir

    return default_data_dir() / KEY_FILE_NAME


def _read_key_file(path: Path) -> bytes:
    try:
        key = path.read_bytes().strip()
    except OSError as exc:
        raise HashKeyError(f"cannot read the hash key file {path}: {exc.strerror}; "
                           f"set {KEY_ENV} or {KEY_FILE_ENV}") from exc
    if len(key) < MIN_KEY_CHARS:
        raise HashKeyError(f"the hash key in {path} is shorter than {MIN_KEY_CHARS} characters")
    return key


@lru_cache(maxsize=8)
def _key(env_key: str | None, env_file: str | None, default_file: str | None) -> bytes:
    if env_key is not None:
        if len(env_key) < MIN_KEY_CHARS:
            raise HashKeyError(f"{KEY_ENV} is shorter than {MIN_KEY_CHARS} characters")
        return env_key.encode("utf-8")
    if env_file:
        return _read_key_file(Path(env_file))
    assert default_file is not None
    path = Path(default_file)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return _read_key_file(path)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    return _read_key_file(path)


def hash_key() -> bytes:
    """The deployment secret, resolved from the environment each call (cached per setting)."""
    env_key, env_file = os.environ.get(KEY_ENV), os.environ.get(KEY_FILE_ENV)
    default = None if env_key is not None or env_file else str(_default_key_path())
    return _key(env_key, env_file, default)


def key_id() -> str:
    """A short public fingerprint of the secret: says which key hashed a log without revealing it."""
    return hashlib.sha256(b"claimscrub-key-id\0" + hash_key()).hexdigest()[:12]


def keyed_hash(value: str | None, purpose: str = "id") -> str | None:
    """HMAC-SHA256 of `value` under the deployment secret, as hex. `purpose` separates domains
    (a claim id and a member id with the same text hash differently)."""
    if value is None or value == "":
        return None
    mac = hmac.new(hash_key(), purpose.encode("utf-8") + b"\0" + value.encode("utf-8"), hashlib.sha256)
    return mac.hexdigest()[:HASH_CHARS]


__all__ = ["keyed_hash", "hash_key", "key_id", "HashKeyError", "KEY_ENV", "KEY_FILE_ENV"]
