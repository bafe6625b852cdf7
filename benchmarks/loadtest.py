"""Load test for `claimscrub serve`: starts the server with `--workers 2` on a free loopback port, then sends a
bounded number of requests (and stops at a time limit) from a thread pool of httpx clients: single claims, then
100-claim batches. Prints throughput and p50/p99 latency; exits 1 on any error (non-200 or transport error).

    python benchmarks/loadtest.py                      # defaults: 3000 single, 150 batches, 8 threads, 60 s cap
    python benchmarks/loadtest.py --json               # machine-readable figures
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import Any

import httpx

SAMPLES = Path(str(resources.files("claimscrub.samples").joinpath("claims")))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(workers: int) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server; a pipe nobody drains stalls it
    proc = subprocess.Popen([sys.executable, "-m", "claimscrub.cli.main", "serve", "--host", "127.0.0.1",
                             "--port", str(port), "--workers", str(workers), "--log-level", "warning"],
                            stdout=subprocess.DEVNULL, stderr=log)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    ready = 0
    while time.monotonic() < deadline and ready < 2 * workers:  # let every worker finish its startup
        if proc.poll() is not None:
            log.seek(0)
            raise SystemExit(f"server exited: {log.read().decode(errors='replace')}")
        try:
            ready += httpx.get(url + "/readyz", timeout=2).status_code == 200
        except httpx.TransportError:
            time.sleep(0.2)
    return proc, url


def claims() -> list[dict[str, Any]]:
    base = json.loads((SAMPLES / "sample-claims.json").read_text())
    base += [json.loads(ln) for ln in (SAMPLES / "more-claims.ndjson").read_text().splitlines() if ln.strip()]
    return base


def run(label: str, url: str, bodies: list[bytes], requests: int, threads: int, time_cap: float,
        claims_per_request: int) -> dict[str, Any]:
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + time_cap
    local = threading.local()

    def client() -> httpx.Client:
        if not hasattr(local, "c"):
            local.c = httpx.Client(base_url=url, timeout=30, headers={"Content-Type": "application/json"})
        return local.c  # type: ignore[no-any-return]

    def one(i: int) -> None:
        if time.monotonic() > stop_at:
            return
        t0 = time.perf_counter()
        try:
            r = client().post("/v1/scrub", content=bodies[i % len(bodies)], params={"as_of": "2026-11-24"})
            ok = r.status_code == 200 and len(r.json()["results"]) == claims_per_request
            why = f"HTTP {r.status_code}"
        except httpx.HTTPError as exc:
            ok, why = False, type(exc).__name__
        dt = time.perf_counter() - t0
        with lock:
            latencies.append(dt)
            if not ok:
                errors.append(why)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - t0
    lat = sorted(latencies)
    n = len(lat)
    return {"scenario": label, "requests": n, "errors": len(errors), "error_kinds": sorted(set(errors)),
            "threads": threads, "seconds": round(wall, 2), "req_per_s": round(n / wall, 1),
            "claims_per_s": round(n * claims_per_request / wall, 1),
            "p50_ms": round(statistics.median(lat) * 1000, 2) if lat else None,
            "p99_ms": round(lat[min(n - 1, int(n * 0.99))] * 1000, 2) if lat else None}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--single", type=int, default=3000, help="single-claim requests")
    ap.add_argument("--batches", type=int, default=150, help="100-claim batch requests")
    ap.add_argument("--threads", type=int, default=8)
    ap.add_argument("--time-cap", type=float, default=30.0, help="seconds per scenario at most")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    pool = claims()
    singles = [json.dumps(c).encode() for c in pool]
    batch = []
    for i in range(100):
        c = dict(pool[i % len(pool)])
        c["claim_id"] = f"LOAD-{i:03d}"
        batch.append(c)
    batches = [json.dumps(batch).encode()]
    proc, url = start(args.workers)
    try:
        scenarios: list[Callable[[], dict[str, Any]]] = [
            lambda: run("warm-up", url, singles, 200, args.threads, args.time_cap, 1),
            lambda: run("single claim", url, singles, args.single, args.threads, args.time_cap, 1),
            lambda: run("100-claim batch", url, batches, args.batches, max(2, args.threads // 2), args.time_cap, 100),
        ]
        results = [s() for s in scenarios][1:]
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
    info = {"workers": args.workers, "cpus": os.cpu_count(), "python": sys.version.split()[0], "results": results}
    if args.json:
        print(json.dumps(info, indent=2))
    else:
        print(f"claimscrub serve --workers {args.workers} · {info['cpus']} CPUs · Python {info['python']} · loopback")
        print(f"{'scenario':<16} {'requests':>8} {'errors':>6} {'req/s':>8} {'claims/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
        for r in results:
            print(f"{r['scenario']:<16} {r['requests']:>8} {r['errors']:>6} {r['req_per_s']:>8} "
                  f"{r['claims_per_s']:>9} {r['p50_ms']:>8} {r['p99_ms']:>8}")
    return 1 if any(r["errors"] for r in results) else 0


if __name__ == "__main__":
    raise SystemExit(main())
