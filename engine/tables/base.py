"""Serialization of compiled tables and the date-based choice between versions of one table.

Compiled tables are pickles of plain containers (dict, list, tuple, str, int, bytes) read back with an
unpickler that refuses every class, so a data directory cannot smuggle code in; large columns travel as
`bytes` and are viewed in place as typed arrays (`memoryview.cast`), which is what makes loading fast.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import tempfile
from bisect import bisect_right
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, Generic, TypeVar

MAGIC = b"CLAIMSCRUB-TABLE\x00"
FORMAT = 1


class _PlainUnpickler(pickle.Unpickler):
    """Refuses every global: compiled tables hold only builtin containers and scalars."""

    def find_class(self, module: str, name: str) -> Any:  # noqa: D401 - pickle protocol
        raise pickle.UnpicklingError(f"table files may not reference {module}.{name}")


def dump_payload(path: Path, payload: dict[str, Any]) -> int:
    """Write atomically (temp file + rename) so a crash never leaves a half-written table behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; tables are shared read-only data
        with os.fdopen(fd, "wb") as fh:
            fh.write(MAGIC)
            pickle.dump({"format": FORMAT, **payload}, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path.stat().st_size


def load_payload(path: Path) -> dict[str, Any]:
    with open(path, "rb") as fh:
        if fh.read(len(MAGIC)) != MAGIC:
            raise ValueError(f"{path}: not a claimscrub table file")
        payload = _PlainUnpickler(fh).load()  # large `bytes` columns are read straight into place
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ValueError(f"{path}: unsupported table format; re-import the source file")
    return payload


T = TypeVar("T")


class VersionSet(Generic[T]):
    """The versions of one table (kind + setting), each loaded on first use, picked by date of service.

    The version in effect on `on` is the latest one whose period starts on or before `on`. A date before the
    first version gets the earliest version (rows with their own dates, like PTP edits, still filter
    themselves); `on=None` means "latest".
    """

    __slots__ = ("_starts", "_labels", "_loaders", "_tables", "_single")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._labels: list[str] = []
        self._loaders: list[Callable[[], T]] = []
        self._tables: list[T | None] = []
        self._single: T | None = None

    def add(self, start: date, label: str, loader: Callable[[], T]) -> None:
        ordinal = start.toordinal()
        i = bisect_right(self._starts, ordinal)
        self._starts.insert(i, ordinal)
        self._labels.insert(i, label)
        self._loaders.insert(i, loader)
        self._tables.insert(i, None)
        self._single = None

    def __len__(self) -> int:
        return len(self._starts)

    @property
    def labels(self) -> list[str]:
        return list(self._labels)

    def load_all(self) -> None:
        for i in range(len(self._tables)):
            self._load(i)

    def _load(self, i: int) -> T:
        table = self._tables[i]
        if table is None:
            table = self._tables[i] = self._loaders[i]()
            if len(self._tables) == 1:
                self._single = table
        return table

    def pick(self, on: date | None) -> T | None:
        single = self._single
        if single is not None:
            return single
        n = len(self._starts)
        if n == 0:
            return None
        if on is None or n == 1:
            return self._load(n - 1)
        i = bisect_right(self._starts, on.toordinal()) - 1
        return self._load(i if i >= 0 else 0)

    def all(self) -> list[T]:
        return [self._load(i) for i in range(len(self._starts))]
