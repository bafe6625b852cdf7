"""Fixtures for the table-store tests: the shared corpus (skipped when absent) and fresh data directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    return Path(os.environ.get("CLAIMSCRUB_CORPUS", REPO / ".." / "shared" / "corpus")).resolve()


@pytest.fixture(scope="session")
def corpus() -> Path:
    root = corpus_dir()
    if not (root / "ncci").is_dir():
        pytest.skip(f"corpus not found at {root} (set CLAIMSCRUB_CORPUS to the shared corpus directory)")
    return root


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"
