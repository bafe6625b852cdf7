"""Scrub throughput with the shipped rules, against a plain-Python baseline, and rule-count scaling.

    pytest benchmarks/bench_scrub.py -s                                # 10,000 claims
    CLAIMSCRUB_BENCH_QUICK=1 pytest benchmarks/bench_scrub.py -s       # 200 claims, seconds

Claims come from the deterministic generator (benchmarks/generate.py). The baseline is a plain loop over the same
Claim objects reading the attributes a typical rule set reads, so results are reported as ratios that do not
depend on the machine. Scaling: per-claim time with 100 vs 1,000 code-keyed rules should be about the same,
because the index only runs the rules keyed on a line's code.
"""

from __future__ import annotations

import gc
import os
import statistics
import time
from datetime import date
from pathlib import Path

import pytest
from claimscrub.api import Scrubber, load_ruleset
from claimscrub.evaluator import Engine
from claimscrub.inputs import InputItem
from claimscrub.source import RuleSetError
from generate import generate_claims, generate_rules_yaml

QUICK = os.environ.get("CLAIMSCRUB_BENCH_QUICK") == "1"
N_CLAIMS = 200 if QUICK else 10_000
N_SCALING_CLAIMS = 200 if QUICK else 2_000
ROUNDS = 2 if QUICK else 5
AS_OF = date(2026, 12, 31)
RESULTS: dict[str, float] = {}  # median seconds per round, by name


@pytest.fixture(scope="module")
def claims():
    return generate_claims(N_CLAIMS, seed=20260101, as_objects=True)


@pytest.fixture(scope="module")
def shipped_scrubber(tmp_path_factory):
    try:
        rs = load_ruleset()
    except RuleSetError:  # shipped packs missing or mid-edit: fall back to a generated pack
        path = tmp_path_factory.mktemp("rules") / "generated.yaml"
        path.write_text(generate_rules_yaml(200), encoding="utf-8")
        rs = load_ruleset([path])
    return Scrubber(rs, as_of=AS_OF)


def _median(benchmark, fallback: float) -> float:
    stats = getattr(benchmark, "stats", None)
    try:
        return float(stats.stats.median)  # type: ignore[union-attr]
    except AttributeError:
        return fallback


def _timed(fn, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def baseline_loop(claims) -> int:
    """What any scrubber must at least do: touch the claim, patient and every line's fields once."""
    n = 0
    for c in claims:
        p = c.patient
        if p.birth_date is not None and p.sex is not None and c.billing_provider.npi and c.total_charge is not None:
            n += 1
        for d in c.diagnoses:
            if d.code:
                n += 1
        for ln in c.lines:
            if ln.code and ln.units > 0 and ln.service_date_from is not None and ln.charge is not None:
                n += len(ln.modifiers) + len(ln.diagnosis_pointers)
    return n


def test_baseline_attribute_loop(benchmark, claims) -> None:
    fn = lambda: baseline_loop(claims)  # noqa: E731
    result = benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert result > 0
    RESULTS["baseline"] = _median(benchmark, _timed(fn, ROUNDS))


def test_scrub_shipped_rules(benchmark, claims, shipped_scrubber) -> None:
    items = [InputItem(c, {"index": i}) for i, c in enumerate(claims)]
    fn = lambda: list(shipped_scrubber.scrub_items(items))  # noqa: E731
    results = benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert len(results) == len(claims)
    assert all(r["status"] in ("clean", "findings") for r in results)
    median = _median(benchmark, _timed(fn, ROUNDS))
    RESULTS["scrub"] = median
    benchmark.extra_info.update({
        "claims": len(claims), "rules": len(shipped_scrubber.ruleset.rules),
        "skipped_rules": len(shipped_scrubber.engine.skipped), "claims_per_s": round(len(claims) / median),
        "findings": sum(len(r["findings"]) for r in results),
    })


@pytest.fixture(scope="module")
def scaling_engines(tmp_path_factory):
    engines = {}
    for n in (100, 1_000):
        path = tmp_path_factory.mktemp(f"rules{n}") / "synthetic.yaml"
        path.write_text(generate_rules_yaml(n), encoding="utf-8")
        engines[n] = Engine(load_ruleset([path]))
        assert sum(k is not None for k in engines[n].keys) == n  # every rule is index-keyed
    return engines


@pytest.mark.parametrize("n_rules", [100, 1_000])
def test_scrub_scaling_with_rule_count(benchmark, claims, scaling_engines, n_rules: int) -> None:
    engine = scaling_engines[n_rules]
    subset = claims[:N_SCALING_CLAIMS]
    fn = lambda: [engine.evaluate(c, AS_OF) for c in subset]  # noqa: E731
    benchmark.pedantic(fn, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    median = _median(benchmark, _timed(fn, ROUNDS))
    RESULTS[f"rules{n_rules}"] = median / len(subset)
    benchmark.extra_info.update({"rules": n_rules, "claims": len(subset),
                                 "us_per_claim": round(median / len(subset) * 1e6, 2)})


def test_scaling_ratio_interleaved(claims, scaling_engines) -> None:
    """1,000 vs 100 rules, measured in alternating rounds so machine load hits both alike (median paired ratio)."""
    subset = claims[:N_SCALING_CLAIMS]
    ratios = []
    for _ in range(max(ROUNDS, 5)):
        t = {}
        for n in (100, 1_000):
            gc.collect()
            t0 = time.perf_counter()
            for c in subset:
                scaling_engines[n].evaluate(c, AS_OF)
            t[n] = time.perf_counter() - t0
        ratios.append(t[1_000] / t[100])
    RESULTS["scaling"] = statistics.median(ratios)
    if not QUICK:  # quick mode (CI) only checks that the benchmark runs; shared machines are too noisy to gate on
        assert RESULTS["scaling"] < 1.5, ratios


def test_report_ratios() -> None:
    """Print claims/s and ratios (run with -s); CLAIMSCRUB_BENCH_OUT=file also writes them to a file."""
    if not {"baseline", "scrub", "rules100", "rules1000", "scaling"} <= RESULTS.keys():
        pytest.skip("run the whole module to get ratios")
    scrub_rate = N_CLAIMS / RESULTS["scrub"]
    base_rate = N_CLAIMS / RESULTS["baseline"]
    scaling = RESULTS["scaling"]
    lines = [
        f"claims: {N_CLAIMS} (generated, seeded), rounds: {ROUNDS}",
        f"baseline attribute loop: {RESULTS['baseline'] * 1e3:.1f} ms/round = {base_rate:,.0f} claims/s",
        f"scrub with shipped rules: {RESULTS['scrub'] * 1e3:.1f} ms/round = {scrub_rate:,.0f} claims/s "
        f"({RESULTS['scrub'] / RESULTS['baseline']:.1f}x the baseline)",
        f"per claim, 100 code-keyed rules: {RESULTS['rules100'] * 1e6:.1f} us; 1,000 rules: "
        f"{RESULTS['rules1000'] * 1e6:.1f} us; interleaved median ratio {scaling:.2f}",
    ]
    print("\n" + "\n".join(lines))
    Path(os.environ.get("CLAIMSCRUB_BENCH_OUT", os.devnull)).write_text("\n".join(lines) + "\n")
