"""pytest-benchmark: claimscrub compiled rules, the hand-written baseline and peer engines on the same rules.

    pytest benchmarks/bench_peers.py                                   # 1,000 rules
    CLAIMSCRUB_BENCH_QUICK=1 pytest benchmarks --benchmark-disable     # CI smoke: tiny sizes, seconds

Every engine is first checked to fire exactly the same (rule, line/pair/diagnosis) hits as the hand-written
baseline, so a speed number never hides a wrong answer. Peers whose package is not installed are skipped.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import compare as C  # noqa: E402
from handwritten import Handwritten  # noqa: E402
from peer_engines import AVAILABLE, build  # noqa: E402

QUICK = os.environ.get("CLAIMSCRUB_BENCH_QUICK") == "1"
N_RULES = 60 if QUICK else 1_000
N_CLAIMS = 20 if QUICK else 200
N_PEER_CLAIMS = 3 if QUICK else 10


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    tables = C.make_tables(2_000 if QUICK else 100_000)
    specs = C.make_specs(N_RULES)
    engine = C.engine_for(specs, tables, tmp_path_factory.mktemp("rules"))
    claims = C.make_claims(N_CLAIMS)
    return {"tables": tables, "specs": specs, "engine": engine, "claims": claims,
            "handwritten": Handwritten(specs, tables)}


def _run_all(fire: Any, claims: list[Any]) -> int:
    return sum(len(fire(c)) for c in claims)


def test_claimscrub_fire(benchmark: Any, setup: dict[str, Any]) -> None:
    fire = C.claimscrub_fire(setup["engine"])
    assert C.agree(setup["claims"], setup["handwritten"].fire, fire) > 0
    benchmark(_run_all, fire, setup["claims"])


def test_claimscrub_explain(benchmark: Any, setup: dict[str, Any]) -> None:
    evaluate = C.claimscrub_evaluate(setup["engine"])
    assert sum(len(evaluate(c)) for c in setup["claims"]) > 0
    benchmark(_run_all, evaluate, setup["claims"])


def test_handwritten(benchmark: Any, setup: dict[str, Any]) -> None:
    benchmark(_run_all, setup["handwritten"].fire, setup["claims"])


@pytest.mark.parametrize("indexed", [False, True], ids=["scan", "index"])
@pytest.mark.parametrize("peer", sorted(AVAILABLE))
def test_peer(benchmark: Any, setup: dict[str, Any], peer: str, indexed: bool) -> None:
    if not AVAILABLE[peer]:
        pytest.skip(f"{peer} not installed (pip install {peer})")
    ev = build(peer, setup["specs"], setup["tables"], indexed)
    claims = setup["claims"][:N_PEER_CLAIMS]
    C.agree(claims, setup["handwritten"].fire, ev.fire)
    benchmark(_run_all, ev.fire, claims)


def test_compare_quick_runs(tmp_path: Path) -> None:
    """The comparison script itself (bulk-evaluation section only) runs end to end."""
    if not QUICK:
        pytest.skip("covered by running benchmarks/compare.py")
    assert C.main(["--quick", "--skip", "size,keyed,tables,cold,jobs", "--json", str(tmp_path / "r.json")]) == 0
    assert (tmp_path / "r.json").exists()
