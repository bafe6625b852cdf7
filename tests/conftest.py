"""Shared fixture: write a YAML rule pack into tmp_path and load it (file names render relative to tmp_path)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from claimscrub.api import load_ruleset


@pytest.fixture
def write_pack(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """write_pack(text, name="pack.yaml") -> Path; cwd is tmp_path so diagnostics say `pack.yaml:L:C`."""
    monkeypatch.chdir(tmp_path)

    def write(text: str, name: str = "pack.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


@pytest.fixture
def load_pack(write_pack):
    """load_pack(text, name="pack.yaml", params=None) -> RuleSet (raises RuleSetError with every diagnostic)."""

    def load(text: str, name: str = "pack.yaml", params: dict | None = None):
        return load_ruleset([write_pack(text, name)], params=params)

    return load
