"""837 parse throughput: claimscrub's reader beside pyx12 and x12sdk (when installed).

    pytest benchmarks/bench_x12.py --benchmark-only          # throughput on a generated 837P
    CLAIMSCRUB_BENCH_QUICK=1 pytest benchmarks/bench_x12.py  # small N, for CI
    python benchmarks/bench_x12.py [corpus-dir]              # the corpus comparison table of docs/x12-parsers.md

What each contender does per file is not the same work, which is the point of the comparison: claimscrub builds
validated `Claim` objects; pyx12's `X12Reader` only tokenises segments (its `x12n_document` validates against the
TR3 map, slower still); x12sdk builds one pydantic model per transaction set (loops, not claims).
"""

from __future__ import annotations

import io
import os
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from claimscrub.inputs.base import decode_text
from claimscrub.inputs.x12 import read_x12
from claimscrub.inputs.x12_generate import generate_837p

N = 500 if os.environ.get("CLAIMSCRUB_BENCH_QUICK") == "1" else 10_000


@pytest.fixture(scope="module")
def text() -> str:
    return generate_837p(N)


def _claimscrub(text: str) -> int:
    return sum(1 for item in read_x12(text, "bench.837") if item.ok)


def _pyx12_segments(text: str) -> int:
    import pyx12.x12file  # noqa: PLC0415

    return sum(1 for seg in pyx12.x12file.X12Reader(io.StringIO(text)) if seg.get_seg_id() == "CLM")


def _pyx12_validate(text: str) -> bool:
    import logging  # noqa: PLC0415

    import pyx12.params  # noqa: PLC0415
    import pyx12.x12n_document  # noqa: PLC0415

    logging.getLogger("pyx12").setLevel(logging.CRITICAL)
    return pyx12.x12n_document.x12n_document(pyx12.params.params(), io.StringIO(text), None, None, None, None)


def _count_2300(obj: Any) -> int:
    if isinstance(obj, dict):
        return sum(len(v) if k == "loop_2300" and isinstance(v, list) else _count_2300(v) for k, v in obj.items())
    if isinstance(obj, list):
        return sum(_count_2300(x) for x in obj)
    return 0


def _x12sdk(text: str) -> int:
    from x12sdk.io import X12ModelReader  # noqa: PLC0415

    with X12ModelReader(text) as reader:
        return sum(_count_2300(m.model_dump()) for m in reader.models())


def test_claimscrub(benchmark: Any, text: str) -> None:
    benchmark.extra_info["claims"] = N
    assert benchmark(_claimscrub, text) == N


def test_pyx12_tokenise(benchmark: Any, text: str) -> None:
    pytest.importorskip("pyx12")
    benchmark.extra_info["claims"] = N
    assert benchmark(_pyx12_segments, text) == N


def test_pyx12_validate(benchmark: Any, text: str) -> None:
    pytest.importorskip("pyx12")
    benchmark.extra_info["claims"] = N
    benchmark.pedantic(_pyx12_validate, args=(text,), rounds=1, iterations=1)


def test_x12sdk(benchmark: Any, text: str) -> None:
    pytest.importorskip("x12sdk")
    benchmark.extra_info["claims"] = N
    assert benchmark.pedantic(_x12sdk, args=(text,), rounds=3, iterations=1) == N


# ------------------------------------------------------------------------------------------ corpus comparison


def _clm_count(text: str) -> int:
    from claimscrub.inputs.x12 import iter_segments  # noqa: PLC0415

    try:
        return sum(1 for _, seg, _ in iter_segments(text) if seg[0] == "CLM")
    except Exception:  # noqa: BLE001 - a file without a readable ISA has no countable claims
        return 0


def corpus_table(corpus: Path) -> str:
    """Per-contender totals over the 837P/837I corpus: claims out, files read, failures, seconds."""
    files = [p for sub in ("837p", "837i") for p in sorted((corpus / "x12" / sub).rglob("*")) if p.is_file()]
    rows = []
    total_clm = 0
    results: dict[str, list[float]] = {"claimscrub": [0, 0, 0, 0, 0], "pyx12 X12Reader": [0, 0, 0, 0, 0],
                                       "pyx12 x12n_document": [0, 0, 0, 0, 0], "x12sdk": [0, 0, 0, 0, 0]}
    for p in files:
        raw = p.read_bytes()
        text = decode_text(raw)
        clm = _clm_count(text)
        total_clm += clm
        for name in results:
            t0 = time.perf_counter()
            try:
                if name == "claimscrub":
                    items = list(read_x12(text, p.name))
                    out, parsed = len(items), sum(1 for i in items if i.ok)
                elif name == "pyx12 X12Reader":
                    out = parsed = _pyx12_segments(raw.decode("ascii"))
                elif name == "pyx12 x12n_document":
                    ok = _pyx12_validate(raw.decode("ascii"))
                    out = parsed = clm if ok else 0
                else:
                    out = parsed = _x12sdk(raw.decode("utf-8"))
                failed = 0
            except Exception:  # noqa: BLE001 - a library refusing a file is the measurement
                out = parsed = 0
                failed = 1
            r = results[name]
            r[0] += out
            r[1] += parsed
            r[2] += 1 - failed
            r[3] += failed
            r[4] += time.perf_counter() - t0
    rows.append(f"corpus: {len(files)} files, {total_clm} CLM segments")
    rows.append("| reader | claims out (items) | claims parsed | files read | files refused/crashed | seconds |")
    rows.append("|---|---|---|---|---|---|")
    for name, (out, parsed, ok, failed, secs) in results.items():
        rows.append(f"| {name} | {int(out)} | {int(parsed)} | {int(ok)} | {int(failed)} | {secs:.2f} |")
    return "\n".join(rows)


def throughput_table(n: int = 10_000, rounds: int = 3) -> str:
    text = generate_837p(n)
    rows = [f"generated 837P: {n} claims, {len(text) / 1e6:.1f} MB",
            "| reader | median seconds | claims/s | relative to claimscrub |", "|---|---|---|---|"]
    timings: dict[str, float] = {}
    for name, fn, r in (("claimscrub read_x12", _claimscrub, rounds), ("pyx12 X12Reader (tokenise only)",
                        _pyx12_segments, rounds), ("pyx12 x12n_document (validate)", _pyx12_validate, 1),
                        ("x12sdk X12ModelReader", _x12sdk, 1)):
        samples = []
        for _ in range(r):
            t0 = time.perf_counter()
            try:
                fn(text)
            except Exception as exc:  # noqa: BLE001
                samples = []
                rows.append(f"| {name} | failed: {type(exc).__name__} | | |")
                break
            samples.append(time.perf_counter() - t0)
        if samples:
            timings[name] = sorted(samples)[len(samples) // 2]
    base = timings.get("claimscrub read_x12", 1.0)
    for name, secs in timings.items():
        rows.append(f"| {name} | {secs:.2f} | {n / secs:,.0f} | {secs / base:.2f}x |")
    return "\n".join(rows)


if __name__ == "__main__":
    root = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).resolve().parents[1].parent / "shared" / "corpus"
    print(corpus_table(root))
    print()
    print(throughput_table(int(os.environ.get("CLAIMSCRUB_BENCH_N", "10000"))))
