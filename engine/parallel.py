"""Scrub with several processes and identical, ordered output (`scrub --jobs N`).

The parent reads the inputs (streaming) and sends chunks of claims to a process pool (JSON claims still
unvalidated, so model validation runs in the workers too); each worker
builds its own compiled rule set once from a picklable recipe, and `imap` returns chunks in input order, so the
output is byte-identical to a single-process run.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .inputs import InputItem, PendingClaim

CHUNK = 512
_worker: Any = None
_encode: Callable[[dict[str, Any]], Any] | None = None


def _init(factory: Callable[..., Any], args: tuple[Any, ...], encode: Callable[[dict[str, Any]], Any] | None) -> None:
    global _worker, _encode  # noqa: PLW0603 - one scrubber per worker process, never shared across threads
    _worker, _encode = factory(*args), encode


def _run(chunk: list[InputItem | PendingClaim]) -> list[Any]:
    results = [_worker.scrub_item(item.resolve() if isinstance(item, PendingClaim) else item) for item in chunk]
    return results if _encode is None else [_encode(r) for r in results]


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def scrub_parallel(items: Iterable[InputItem | PendingClaim], jobs: int, factory: Callable[..., Any],
                   args: tuple[Any, ...] = (), chunk: int = CHUNK, prebuilt: Any = None,
                   encode: Callable[[dict[str, Any]], Any] | None = None) -> Iterator[Any]:
    """Results in input order. Each worker scrubs with `prebuilt` where processes fork, else with the scrubber
    `factory(*args)` builds in it (an object with `scrub_item`). With `encode`, workers return `encode(result)`
    instead of the result (serialized output, say), so the parent only writes."""
    global _worker, _encode  # noqa: PLW0603
    if prebuilt is not None and "fork" in mp.get_all_start_methods():
        # forked workers inherit the parent's compiled rules and loaded tables (copy-on-write): no rebuild
        _worker, _encode = prebuilt, encode
        warm = getattr(getattr(prebuilt, "tables", None), "warm", None)
        if warm is not None:
            warm()
        gc.freeze()  # the shared heap moves out of the collector's sight, so workers' collections leave it unshared
        pool_args: dict[str, Any] = {}
        ctx = mp.get_context("fork")
    else:
        ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
        pool_args = {"initializer": _init, "initargs": (factory, args, encode)}
    try:
        with ctx.Pool(jobs, **pool_args) as pool:
            for results in pool.imap(_run, _chunks(items, chunk), chunksize=1):
                yield from results
    finally:
        _worker = _encode = None
        gc.unfreeze()
