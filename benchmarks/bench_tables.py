"""Table store benchmarks: import time, load time and resident memory of the full PTP table, lookup speed.

    pytest benchmarks/bench_tables.py --benchmark-only -s          # full size: 2.5 M PTP rows (~1 min)
    CLAIMSCRUB_BENCH_QUICK=1 pytest benchmarks/bench_tables.py -s  # 50 K rows, seconds

Inputs come from the deterministic generator (`python -m claimscrub.tables.generate`), in the exact CMS layout.
Load time and memory are measured in a fresh subprocess (VmRSS from /proc/self/status, ru_maxrss elsewhere),
so they are what a scrubbing run pays on cold start. Targets: load < 2 s and < 300 MB resident.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

import pytest
from claimscrub.tables import Store, open_tables
from claimscrub.tables.generate import generate

QUICK = os.environ.get("CLAIMSCRUB_BENCH_QUICK") == "1"
PTP_ROWS = 50_000 if QUICK else 2_500_000
LOAD_LIMIT_S = 2.0
RSS_LIMIT_MB = 300.0

PROBE = r"""
import json, resource, sys, time
from datetime import date

def rss_mb():
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024

before = rss_mb()
t0 = time.perf_counter()
from claimscrub.tables import open_tables
t1 = time.perf_counter()
tables = open_tables(sys.argv[1], icd10_fallback=False)
tables.ptp("00000", "00000", date(2026, 8, 1), "practitioner")  # forces the PTP version to load
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "load_s": t2 - t1, "rss_before_mb": before, "rss_after_mb": rss_mb()}))
"""


@pytest.fixture(scope="module")
def workdir():  # noqa: ANN201
    with tempfile.TemporaryDirectory(prefix="claimscrub-bench-") as d:
        yield Path(d)


@pytest.fixture(scope="module")
def generated(workdir: Path) -> dict[str, list[Path]]:
    return generate(workdir / "cms", ptp_rows=PTP_ROWS, mue_rows=15_000)


@pytest.fixture(scope="module")
def imported(workdir: Path, generated: dict[str, list[Path]]) -> Path:
    store = workdir / "store"
    Store(store).import_files("ncci-ptp", generated["ncci-ptp"])
    Store(store).import_files("mue", generated["mue"])
    return store


def test_import_full_ptp(benchmark, workdir: Path, generated: dict[str, list[Path]]) -> None:  # noqa: ANN001
    counter = iter(range(1000))

    def run() -> int:
        reports = Store(workdir / f"import-{next(counter)}").import_files("ncci-ptp", generated["ncci-ptp"])
        return sum(r.rows for r in reports)

    rows = benchmark.pedantic(run, rounds=1 if not QUICK else 3, iterations=1)
    assert rows == PTP_ROWS
    benchmark.extra_info["rows"] = rows


def test_load_full_ptp_subprocess(benchmark, imported: Path) -> None:  # noqa: ANN001
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    samples: list[dict[str, float]] = []

    def run() -> None:
        out = subprocess.run([sys.executable, "-c", PROBE, str(imported)], capture_output=True, text=True, env=env,
                             check=True)
        samples.append(json.loads(out.stdout))

    benchmark.pedantic(run, rounds=5, iterations=1)
    med = {k: statistics.median(s[k] for s in samples) for k in samples[0]}
    benchmark.extra_info.update({f"median_{k}": round(v, 4) for k, v in med.items()})
    print(f"\nPTP {PTP_ROWS} rows: load {med['load_s'] * 1000:.0f} ms (median of {len(samples)}), "
          f"RSS {med['rss_after_mb']:.0f} MB after load (interpreter {med['rss_before_mb']:.0f} MB), "
          f"package import {med['import_s'] * 1000:.0f} ms")
    assert med["load_s"] < LOAD_LIMIT_S
    assert med["rss_after_mb"] < RSS_LIMIT_MB


def test_ptp_lookups(benchmark, imported: Path) -> None:  # noqa: ANN001
    tables = open_tables(imported, icd10_fallback=False)
    table = tables._ptp["practitioner"].pick(None)
    hits = [(e.column1, e.column2) for e in table.rows(table.codes[0])][:500]
    misses = [(a, b) for a, b in zip(table.codes[1:501], table.codes[501:1001], strict=False)]
    pairs = (hits + misses) * 10
    on = date(2026, 8, 1)

    def run() -> int:
        found = 0
        for a, b in pairs:
            if tables.ptp(a, b, on, "practitioner") is not None:
                found += 1
        return found

    benchmark(run)
    benchmark.extra_info["lookups_per_round"] = len(pairs)


def test_mue_lookups(benchmark, imported: Path) -> None:  # noqa: ANN001
    tables = open_tables(imported, icd10_fallback=False)
    codes = list(tables._mue["practitioner"].pick(None).codes())[:1000] * 10
    on = date(2026, 8, 1)
    benchmark(lambda: [tables.mue(c, on, "practitioner") for c in codes])
