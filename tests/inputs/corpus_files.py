"""Collect corpus files at import time so each file is its own test id; skip cleanly when the corpus is absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import corpus_dir

SKIP_SUFFIXES = {".md", ".tsv", ".csv"}


def files_under(*subdirs: str) -> list:
    root = corpus_dir()
    out = []
    for sub in subdirs:
        base = root / "x12" / sub
        if base.is_dir():
            out += [p for p in sorted(base.rglob("*")) if p.is_file() and p.suffix not in SKIP_SUFFIXES]
    if not out:
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"corpus x12/{'|'.join(subdirs)} not found"))]
    return [pytest.param(p, id=str(p.relative_to(root / "x12"))) for p in out]


def require(path: Path | None) -> Path:
    if path is None:
        pytest.skip("corpus not found")
    return path
