"""Keyed hashes: stable under one secret, different under another, never the plain sha256."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from claimscrub import privacy


def test_keyed_hash_depends_on_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(privacy.KEY_ENV, "a" * 32)
    one = privacy.keyed_hash("CLM-1")
    assert one == privacy.keyed_hash("CLM-1")
    assert one != hashlib.sha256(b"CLM-1").hexdigest()[: len(one)]
    assert privacy.keyed_hash("CLM-1", purpose="member") != one
    monkeypatch.setenv(privacy.KEY_ENV, "b" * 32)
    assert privacy.keyed_hash("CLM-1") != one
    assert privacy.keyed_hash(None) is None and privacy.keyed_hash("") is None


def test_short_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(privacy.KEY_ENV, "short")
    with pytest.raises(privacy.HashKeyError, match="shorter"):
        privacy.keyed_hash("x")


def test_key_file_and_default_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv(privacy.KEY_ENV, raising=False)
    keyfile = tmp_path / "k"
    keyfile.write_text("s" * 20 + "\n")
    monkeypatch.setenv(privacy.KEY_FILE_ENV, str(keyfile))
    from_file = privacy.keyed_hash("CLM-1")
    monkeypatch.setenv(privacy.KEY_ENV, "s" * 20)
    assert privacy.keyed_hash("CLM-1") == from_file  # whitespace around the file's secret is ignored
    monkeypatch.delenv(privacy.KEY_ENV)
    monkeypatch.delenv(privacy.KEY_FILE_ENV)
    monkeypatch.setenv("CLAIMSCRUB_DATA", str(tmp_path / "data"))
    first = privacy.keyed_hash("CLM-1")
    made = tmp_path / "data" / "hash.key"
    assert made.exists() and (made.stat().st_mode & 0o777) == 0o600
    assert privacy.keyed_hash("CLM-1") == first
