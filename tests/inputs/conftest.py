"""Corpus location for the input-reader tests: CLAIMSCRUB_CORPUS, else ../shared/corpus beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def corpus_dir() -> Path:
    env = os.environ.get("CLAIMSCRUB_CORPUS")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "corpus"


@pytest.fixture(scope="session")
def corpus() -> Path:
    root = corpus_dir()
    if not (root / "x12").is_dir():
        pytest.skip(f"test corpus not found (set CLAIMSCRUB_CORPUS to the corpus folder); looked in {root.name}/")
    return root
