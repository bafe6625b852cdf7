"""Scrub with several processes and identical, ordered output (`scrub --jobs N`).

The parent reads the inputs (streaming) and sends chunks of parsed claims to a process pool; each worker
builds its own compiled rule set once from a picklable recipe, and `imap` returns chunks in input order, so the
output is byte-identical to a single-process run.
"""

from __future__ import annotations

import itertools
import multiprocessing as mp
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from .inputs import InputItem

CHUNK = 128
_worker: Any = None


def _init(factory: Callable[..., Any], args: tuple[Any, ...]) -> None:
    global _worker  # noqa: PLW0603 - one scrubber per worker process, never shared across threads
    _worker = factory(*args)


def _run(chunk: list[InputItem]) -> list[dict[str, Any]]:
    return [_worker.scrub_item(item) for item in chunk]


def _chunks(items: Iterable[InputItem], size: int) -> Iterator[list[InputItem]]:
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def scrub_parallel(items: Iterable[InputItem], jobs: int, factory: Callable[..., Any],
                   args: tuple[Any, ...] = (), chunk: int = CHUNK) -> Iterator[dict[str, Any]]:
    """Results in input order. `factory(*args)` builds a scrubber (an object with `scrub_item`) in each worker."""
    ctx = mp.get_context("fork") if "fork" in mp.get_all_start_methods() else mp.get_context()
    with ctx.Pool(jobs, initializer=_init, initargs=(factory, args)) as pool:
        for results in pool.imap(_run, _chunks(items, chunk), chunksize=1):
            yield from results
