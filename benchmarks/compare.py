"""claimscrub compiled rules beside hand-written Python and peer engines, measured side by side in one run.

    python benchmarks/compare.py            # full table (~3-4 min on 2 busy cores)
    python benchmarks/compare.py --quick    # small sizes, seconds

Only bulk evaluation (which rules fire on each claim) is compared: `Engine.fire` for claimscrub,
`Handwritten.fire`, `PeerEvaluator.fire`. claimscrub's explanation cost (the interpreter re-run for fired
rules, findings, messages: `Engine.evaluate`) is reported in its own column. Times are per claim, the median
of interleaved repetitions; ratios are the median of per-repetition ratios, so machine noise that hits one
repetition hits both sides of a ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from claimscrub.api import Scrubber, load_ruleset  # noqa: E402
from claimscrub.model import Claim  # noqa: E402
from claimscrub.tables.memory import MemoryTables  # noqa: E402
from handwritten import Handwritten  # noqa: E402
from peer_engines import AVAILABLE, build  # noqa: E402

AS_OF = date(2026, 11, 24)
DOS = "2026-03-02"
N_CODES = 12_000
N_DX = 1_500
CODES = [f"{10000 + (i * 7919) % 90000:05d}" for i in range(N_CODES)]
CODE_IX = {c: i for i, c in enumerate(CODES)}
DX = [f"{chr(65 + j % 26)}{10 + (j // 26) % 90:02d}.{j % 10}" for j in range(N_DX)]
KINDS = (("line_units", 35), ("line_mod", 15), ("claim", 10), ("pair", 15), ("dx_line", 8), ("dx_claim", 7),
         ("table_mue", 10))
CATEGORY = {"line_units": "coverage.frequency", "line_mod": "modifier.conflict", "claim": "claim.balance",
            "pair": "ncci.ptp", "dx_line": "coverage.lcd", "dx_claim": "icd10.excludes1", "table_mue": "ncci.mue",
            "table_mue_all": "ncci.mue", "table_ptp": "ncci.ptp"}


def partner(code: str) -> str:
    """The code a pair rule bundles with `code`; claims add it after a line now and then."""
    return CODES[(CODE_IX[code] + 1) % N_CODES]


def dx_for(code: str) -> list[str]:
    i = CODE_IX[code]
    return [DX[i % N_DX], DX[(i * 7 + 3) % N_DX]]


# ---- rule sets ------------------------------------------------------------------------------------------------

def make_specs(n: int, seed: int = 11, tables: bool = True) -> list[dict[str, Any]]:
    """n rule specs of the kinds a scrubber has; two unkeyed table rules (NCCI PTP pairs, MUE) when `tables`."""
    rng = random.Random(seed)
    specs: list[dict[str, Any]] = []
    if tables:
        specs += [{"kind": "table_ptp"}, {"kind": "table_mue_all"}]
    kinds = [k for k, w in KINDS for _ in range(w)]
    while len(specs) < n:
        kind = kinds[len(specs) % len(kinds)] if n >= 100 else rng.choice(kinds)
        code = rng.choice(CODES)
        s: dict[str, Any] = {"kind": kind, "code": code}
        if kind == "line_units":
            s["k"] = rng.randint(1, 3)
        elif kind == "line_mod":
            s["mod"] = rng.choice(("59", "25", "76"))
        elif kind == "claim":
            s["amount"] = rng.choice((200, 500, 1000))
        elif kind == "pair":
            s["code2"], s["bypass"] = partner(code), ["59", "XS"]
        elif kind == "dx_line":
            s["dx"] = dx_for(code)
        elif kind == "dx_claim":
            s["proc"], s["code"] = code, dx_for(code)[1]
        specs.append(s)
    return specs


def _when(s: dict[str, Any]) -> tuple[str, str]:
    k, c = s["kind"], s.get("code")
    if k == "line_units":
        return "line", f'line.code == "{c}" and line.units > {s["k"]}'
    if k == "line_mod":
        return "line", f'line.code == "{c}" and line has modifier "{s["mod"]}"'
    if k == "claim":
        return "claim", f'any(l in lines where l.code == "{c}") and claim.total_charge > {s["amount"]}'
    if k == "pair":
        byp = ", ".join(f'"{m}"' for m in s["bypass"])
        return "pair", f'a.code == "{c}" and b.code == "{s["code2"]}" and b has no modifier in {{{byp}}}'
    if k == "dx_line":
        need = ", ".join(f'"{d}"' for d in s["dx"])
        return "line", f'line.code == "{c}" and none(d in line.diagnoses where d.code in {{{need}}})'
    if k == "dx_claim":
        return "diagnosis", f'dx.code == "{c}" and any(l in lines where l.code == "{s["proc"]}")'
    if k == "table_mue":
        return "line", f'line.code == "{c}" and mue(line.code) is not null and line.units > mue(line.code).value'
    if k == "table_mue_all":
        return "line", "mue(line.code) is not null and line.units > mue(line.code).value"
    if k == "table_ptp":
        return "pair", "ptp(a.code, b.code) is not null"
    raise ValueError(k)


def pack_yaml(specs: list[dict[str, Any]], name: str = "bench.generated") -> str:
    out = [f'pack: {{name: {name}, version: "1.0.0"}}', "rules:"]
    for i, s in enumerate(specs):
        scope, when = _when(s)
        out += [f"  - id: B-{i:05d}", f"    title: generated {s['kind']} rule", f"    category: {CATEGORY[s['kind']]}",
                "    severity: error", f"    scope: {scope}", f"    when: '{when}'", "    message: fired",
                "    source: benchmark"]
    return "\n".join(out) + "\n"


def write_pack(specs: list[dict[str, Any]], directory: Path) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "bench.yaml").write_text(pack_yaml(specs))
    return directory


# ---- claims and tables ----------------------------------------------------------------------------------------

def make_claim_dicts(n: int, seed: int = 5, lines: int | None = None) -> list[dict[str, Any]]:
    """n professional claims, 1-12 lines (mean ~4) unless `lines` is fixed; JSON-ready dicts."""
    rng = random.Random(seed)
    out = []
    for k in range(n):
        n_lines = lines or rng.choice((1, 1, 2, 2, 3, 3, 4, 4, 5, 6, 8, 12))
        codes: list[str] = []
        while len(codes) < n_lines:
            c = rng.choice(CODES) if not codes or rng.random() > 0.25 else partner(codes[-1])
            codes.append(c)
        dxs = dx_for(codes[0])[:1] if rng.random() < 0.5 else []
        while len(dxs) < rng.randint(1, 4):
            dxs.append(rng.choice(DX))
        dxs = list(dict.fromkeys(dxs))
        ls = []
        for i, c in enumerate(codes, 1):
            mods = [m for m in ("59", "25", "76", "XS", "GP") if rng.random() < 0.08]
            ls.append({"number": i, "code": c, "modifiers": mods, "units": rng.choice((1, 1, 1, 2, 2, 3, 4)),
                       "charge": rng.choice((80, 150, 240, 400)), "service_date_from": DOS,
                       "diagnosis_pointers": [1 + (i - 1) % len(dxs)]})
        out.append({"claim_id": f"B{seed}-{k}", "type": "professional", "place_of_service": "11",
                    "patient": {"birth_date": "1970-01-01", "sex": "F"},
                    "billing_provider": {"npi": "1234567893"},
                    "diagnoses": [{"code": d, "qualifier": "ABK" if j == 0 else "ABF"} for j, d in enumerate(dxs)],
                    "lines": ls, "total_charge": sum(x["charge"] for x in ls)})
    return out


def make_claims(n: int, seed: int = 5, lines: int | None = None) -> list[Claim]:
    return [Claim.model_validate(d) for d in make_claim_dicts(n, seed, lines)]


def make_tables(ptp_rows: int = 100_000, seed: int = 3) -> MemoryTables:
    """MUE for every code (about the size of the CMS practitioner file) and `ptp_rows` PTP edits."""
    rng = random.Random(seed)
    mue = [{"code": c, "value": rng.choice((1, 2, 2, 3, 4)), "mai": 1, "practitioner": True} for c in CODES]
    ptp = [{"column1": c, "column2": partner(c), "modifier_indicator": "1"} for c in CODES[::3]]
    while len(ptp) < ptp_rows:
        ptp.append({"column1": rng.choice(CODES), "column2": rng.choice(CODES), "modifier_indicator": "0"})
    return MemoryTables.from_rows({"ncci-ptp": ptp[:ptp_rows], "mue": mue}, effective=date(2020, 1, 1),
                                  icd10_fallback=False)


# ---- timing ---------------------------------------------------------------------------------------------------

def engine_for(specs: list[dict[str, Any]], tables: Any, workdir: Path) -> Any:
    return Scrubber(load_ruleset([write_pack(specs, workdir)]), tables=tables, as_of=AS_OF).engine


def claimscrub_fire(engine: Any) -> Callable[[Claim], Any]:
    ctx, fire = engine.context, engine.fire

    def run(claim: Claim) -> Any:
        return fire(claim, ctx(claim, AS_OF))
    return run


def claimscrub_evaluate(engine: Any) -> Callable[[Claim], Any]:
    return lambda claim: engine.evaluate(claim, AS_OF)


def timed(fns: dict[str, tuple[Callable[[Claim], Any], list[Claim]]], reps: int) -> dict[str, list[float]]:
    """Seconds per claim, for each repetition; the engines are interleaved within a repetition."""
    out: dict[str, list[float]] = {k: [] for k in fns}
    for _ in range(reps):
        for name, (fn, claims) in fns.items():
            t0 = time.perf_counter()
            for c in claims:
                fn(c)
            out[name].append((time.perf_counter() - t0) / len(claims))
    return out


def med(xs: list[float]) -> float:
    return statistics.median(xs)


def ratio(a: list[float], b: list[float]) -> float:
    return statistics.median(x / y for x, y in zip(a, b, strict=True))


def _norm(hits: list[tuple[int, Any]]) -> list[tuple[int, Any]]:
    def key(v: Any) -> Any:
        if isinstance(v, dict):
            v = tuple(v.values()) if len(v) > 1 else next(iter(v.values()), None)
        if isinstance(v, tuple):
            return tuple(key(x) for x in v)
        return getattr(v, "number", None) or getattr(v, "code", None)
    return sorted((o, key(v)) for o, v in hits)


def agree(claims: list[Claim], *fns: Callable[[Claim], Any]) -> int:
    """Fired (rule, binding) count; raises if any engine disagrees with the first on any claim."""
    total = 0
    for c in claims:
        ref = _norm(fns[0](c))
        total += len(ref)
        for f in fns[1:]:
            got = _norm(f(c))
            if got != ref:
                raise AssertionError(f"engines disagree on claim {c.claim_id}: {ref} != {got}")
    return total


def us(x: float) -> str:
    return f"{x * 1e6:,.1f}" if x < 0.01 else f"{x * 1e6:,.0f}"


# ---- sections -------------------------------------------------------------------------------------------------

def section_engines(sizes: list[int], peer_sizes: set[int], n_claims: int, n_peer_claims: int, reps: int,
                    peer_reps: int, tables: Any, work: Path) -> dict[str, Any]:
    rows = []
    results: dict[str, Any] = {}
    claims = make_claims(n_claims)
    peers = [p for p, ok in AVAILABLE.items() if ok]
    for n in sizes:
        specs = make_specs(n)
        t0 = time.perf_counter()
        engine = engine_for(specs, tables, work / f"r{n}")
        build_s = time.perf_counter() - t0
        hw = Handwritten(specs, tables)
        cs_fire, hw_fire = claimscrub_fire(engine), hw.fire
        fired = agree(claims, cs_fire, hw_fire)
        fns = {"claimscrub": (cs_fire, claims), "handwritten": (hw_fire, claims),
               "claimscrub+explain": (claimscrub_evaluate(engine), claims)}
        peer_claims = claims[:n_peer_claims]
        peer_fns: dict[str, tuple[Callable[[Claim], Any], list[Claim]]] = {}
        if n in peer_sizes:
            for p in peers:
                for indexed in (False, True):
                    ev = build(p, specs, tables, indexed)
                    agree(peer_claims[:5], hw_fire, ev.fire)
                    peer_fns[f"{p}{' +index' if indexed else ''}"] = (ev.fire, peer_claims)
        t = timed(fns, reps)
        row = {"rules": n, "build_s": build_s, "fired_per_claim": fired / len(claims),
               "median_us": {k: med(v) * 1e6 for k, v in t.items()},
               "cs_over_hw": ratio(t["claimscrub"], t["handwritten"]),
               "explain_over_fire": ratio(t["claimscrub+explain"], t["claimscrub"])}
        if peer_fns:  # peers are slow: fewer claims and repetitions, claimscrub timed beside them on the same claims
            tp = timed({"claimscrub": (cs_fire, peer_claims), **peer_fns}, peer_reps)
            for k, v in tp.items():
                if k != "claimscrub":
                    row["median_us"][k] = med(v) * 1e6
                    row[f"{k}_over_cs"] = ratio(v, tp["claimscrub"])
        rows.append(row)
        results[str(n)] = row
        m = row["median_us"]
        line = (f"{n:>7,} rules  build {build_s:5.1f}s  fired/claim {row['fired_per_claim']:.2f}  "
                f"claimscrub {us(m['claimscrub'] / 1e6)} us  handwritten {us(m['handwritten'] / 1e6)} us  "
                f"ratio {row['cs_over_hw']:.2f}x  +explain {us(m['claimscrub+explain'] / 1e6)} us")
        print(line, flush=True)
        for p in peers:
            if p in m:
                print(f"{'':>15}{p:<12} scan {us(m[p] / 1e6)} us ({row[p + '_over_cs']:,.0f}x claimscrub)  "
                      f"+index {us(m[p + ' +index'] / 1e6)} us ({row[p + ' +index_over_cs']:,.1f}x)", flush=True)
    return {"rows": rows}


def section_claim_size(n_rules: int, line_counts: list[int], n_claims: int, reps: int, tables: Any,
                       work: Path) -> list[dict[str, Any]]:
    specs = make_specs(n_rules)
    engine = engine_for(specs, tables, work / f"size{n_rules}")
    hw = Handwritten(specs, tables)
    out = []
    for k in line_counts:
        claims = make_claims(max(4, n_claims * 4 // k), seed=17, lines=k)
        t = timed({"claimscrub": (claimscrub_fire(engine), claims), "handwritten": (hw.fire, claims)}, reps)
        out.append({"lines": k, "claimscrub_us": med(t["claimscrub"]) * 1e6,
                    "handwritten_us": med(t["handwritten"]) * 1e6, "ratio": ratio(t["claimscrub"], t["handwritten"])})
        print(f"  {k:>3} lines/claim: claimscrub {out[-1]['claimscrub_us']:,.1f} us  handwritten "
              f"{out[-1]['handwritten_us']:,.1f} us  ({out[-1]['ratio']:.2f}x)", flush=True)
    return out


def section_code_keyed(sizes: list[int], n_claims: int, reps: int, work: Path) -> list[dict[str, Any]]:
    """Per-claim time as code-keyed line rules are added, two ways, beside the hand-written baseline:

    - other codes: the first `sizes[0]` rules key on codes the claims use, the rest on codes they never carry
      (another specialty's edits): the index should make the extra rules free;
    - same codes: every rule keys on the claims' code pool, so more rules really match each line and both
      engines do more work.
    """
    claims = make_claims(n_claims, seed=23)
    base = make_specs(sizes[0] * 2, tables=False, seed=41)
    base = [s for s in base if s["kind"] in ("line_units", "line_mod")][: sizes[0]]
    fns: dict[str, tuple[Callable[[Claim], Any], list[Claim]]] = {}
    for n in sizes:
        extra = [s for s in make_specs((n - sizes[0]) * 2 + 2, tables=False, seed=43)
                 if s["kind"] in ("line_units", "line_mod")][: n - sizes[0]]
        other = base + [dict(s, code="Z" + s["code"][1:]) for s in extra]  # a code no claim carries
        same = base + extra
        for label, specs in (("other", other), ("same", same)):
            fns[f"{label}:{n}"] = (claimscrub_fire(engine_for(specs, None, work / f"keyed-{label}{n}")), claims)
            fns[f"hw-{label}:{n}"] = (Handwritten(specs, None).fire, claims)
    t = timed(fns, reps)
    out = []
    for label in ("other", "same"):
        b0 = f"{label}:{sizes[0]}"
        for n in sizes:
            k = f"{label}:{n}"
            r = {"codes": label, "rules": n, "claimscrub_us": med(t[k]) * 1e6, "growth": ratio(t[k], t[b0]),
                 "handwritten_us": med(t["hw-" + k]) * 1e6, "hw_growth": ratio(t["hw-" + k], t["hw-" + b0])}
            out.append(r)
            print(f"  {label} codes, {n:>7,} code-keyed line rules: claimscrub {r['claimscrub_us']:,.1f} us/claim "
                  f"({r['growth']:.2f}x)  handwritten {r['handwritten_us']:,.1f} us ({r['hw_growth']:.2f}x)",
                  flush=True)
    return out


def section_table_size(n_rules: int, ptp_sizes: list[int], n_claims: int, reps: int, work: Path) -> list[dict[str, Any]]:
    specs = make_specs(n_rules)
    claims = make_claims(n_claims, seed=29)
    fns = {}
    for rows in ptp_sizes:
        fns[str(rows)] = (claimscrub_fire(engine_for(specs, make_tables(rows), work / f"tab{rows}")), claims)
    t = timed(fns, reps)
    base = str(ptp_sizes[0])
    out = [{"ptp_rows": r, "claimscrub_us": med(t[str(r)]) * 1e6, "growth": ratio(t[str(r)], t[base])}
           for r in ptp_sizes]
    for r in out:
        print(f"  PTP {r['ptp_rows']:>9,} rows: {r['claimscrub_us']:,.1f} us/claim  ({r['growth']:.2f}x)", flush=True)
    return out


def build_store(work: Path, ptp_rows: int) -> Path:
    """A table store with `ptp_rows` PTP edits and an MUE for every code, written in the CMS layouts over the
    benchmark's code universe by `claimscrub.tables.generate` and imported like the real files."""
    from claimscrub.tables import Store
    from claimscrub.tables.generate import write_mue, write_ptp

    files, data = work / "cms", work / "store"
    files.mkdir(parents=True, exist_ok=True)
    store = Store(data)
    store.import_files("ncci-ptp", write_ptp(files, ptp_rows, 7, sorted(CODES)))
    store.import_files("mue", [write_mue(files, len(CODES), 7, sorted(CODES))])
    return data


def section_store(data: Path, n_rules: int, n_claims: int, reps: int, work: Path) -> dict[str, Any]:
    """Bulk evaluation against the table store itself (full-size PTP and MUE, loaded as a scrub run loads them)."""
    from claimscrub.tables.store import open_tables

    tables = open_tables(data, icd10_fallback=False)
    specs = make_specs(n_rules)
    claims = make_claims(n_claims, seed=37)
    engine = engine_for(specs, tables, work / f"store{n_rules}")
    hw = Handwritten(specs, tables)
    fired = agree(claims, claimscrub_fire(engine), hw.fire)
    t = timed({"claimscrub": (claimscrub_fire(engine), claims), "handwritten": (hw.fire, claims)}, reps)
    rows = sum(e["rows"] for e in tables.entries if e["kind"] == "ncci-ptp")
    r = {"rules": n_rules, "ptp_rows": rows, "fired_per_claim": fired / len(claims),
         "claimscrub_us": med(t["claimscrub"]) * 1e6, "handwritten_us": med(t["handwritten"]) * 1e6,
         "cs_over_hw": ratio(t["claimscrub"], t["handwritten"])}
    print(f"  {n_rules:,} rules, store with {rows:,} PTP rows: claimscrub {r['claimscrub_us']:,.1f} us  handwritten "
          f"{r['handwritten_us']:,.1f} us  ratio {r['cs_over_hw']:.2f}x  fired/claim {r['fired_per_claim']:.2f}",
          flush=True)
    return r


COLD = """
import time, sys
t0 = time.perf_counter()
from claimscrub.api import Scrubber, load_ruleset
s = Scrubber(load_ruleset())
t1 = time.perf_counter()
data = sys.argv[1] if len(sys.argv) > 1 else None
kinds = []
if data:
    from claimscrub.tables.store import open_tables
    from datetime import date
    tables = open_tables(data, icd10_fallback=False)
    s = Scrubber(load_ruleset(), tables=tables)
    tables.ptp("99213", "99214", date(2026, 3, 2), "practitioner")
    tables.mue("99213", date(2026, 3, 2), "practitioner")
    kinds = tables.kinds()
t2 = time.perf_counter()
print(t1 - t0, t2 - t0, ",".join(sorted(kinds)))
"""


def section_cold(data_dir: Path | None, reps: int) -> dict[str, Any]:
    args = [sys.executable, "-c", COLD] + ([str(data_dir)] if data_dir else [])
    rules_s, total_s, kinds = [], [], ""
    for _ in range(reps):
        out = subprocess.run(args, capture_output=True, text=True, check=True).stdout.split()
        rules_s.append(float(out[0]))
        total_s.append(float(out[1]))
        kinds = out[2] if len(out) > 2 else ""
    r = {"import_load_compile_s": med(rules_s), "with_tables_s": med(total_s) if data_dir else None,
         "tables": kinds}
    print(f"  import + load shipped rules + compile: {r['import_load_compile_s']:.3f} s"
          + (f";  + open store and load PTP/MUE ({kinds}): {r['with_tables_s']:.3f} s" if data_dir else
             "  (no table store: pass --data DIR)"), flush=True)
    return r


def section_jobs(n_claims: int, reps: int, work: Path) -> dict[str, Any]:
    """`scrub --jobs 1` vs `--jobs 2` end to end (CLI, shipped rules, NDJSON in and out) on realistic claims.

    Wall time includes start-up (imports, rule compile, tables), which a second process does not shorten, so
    throughput is also given at the margin: the extra time that 2n claims take over n, per claim.
    """
    from generate import generate_claims

    files = {}
    for n in (n_claims, 2 * n_claims):
        files[n] = work / f"jobs{n}.ndjson"
        with files[n].open("w") as f:
            for d in generate_claims(n, seed=31):
                f.write(json.dumps(d) + "\n")
    times: dict[tuple[int, int], list[float]] = {(n, j): [] for n in files for j in (1, 2)}
    for _ in range(reps):
        for n, path in files.items():
            for jobs in (1, 2):
                t0 = time.perf_counter()
                subprocess.run(["claimscrub", "scrub", str(path), "--format", "ndjson", "--jobs", str(jobs),
                                "--fail-on", "never"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               check=True)
                times[(n, jobs)].append(time.perf_counter() - t0)
    small, big = n_claims, 2 * n_claims
    margin = {j: [(b - a) / small for a, b in zip(times[(small, j)], times[(big, j)], strict=True)] for j in (1, 2)}
    r = {"claims": [small, big], "cpus": os.cpu_count(),
         "wall_s": {f"{n}x{j}": med(v) for (n, j), v in times.items()},
         "end_to_end_speedup": ratio(times[(big, 1)], times[(big, 2)]),
         "marginal_claims_per_s": {j: 1 / med(margin[j]) for j in (1, 2)},
         "marginal_speedup": med(margin[1]) / med(margin[2])}
    print(f"  {big:,} claims: --jobs 1 {r['wall_s'][f'{big}x1']:.2f} s, --jobs 2 {r['wall_s'][f'{big}x2']:.2f} s "
          f"end to end ({r['end_to_end_speedup']:.2f}x); at the margin {r['marginal_claims_per_s'][1]:,.0f} vs "
          f"{r['marginal_claims_per_s'][2]:,.0f} claims/s ({r['marginal_speedup']:.2f}x, {r['cpus']} cpus)",
          flush=True)
    return r


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="tiny sizes (CI smoke run)")
    ap.add_argument("--data", type=Path, default=None, help="table store for the cold-start row (default: the "
                    "generated full-size store)")
    ap.add_argument("--json", type=Path, default=None, help="also write the numbers here")
    ap.add_argument("--skip", default="", help="comma list of sections to skip: engines,size,keyed,tables,store,cold,jobs")
    args = ap.parse_args(argv)
    skip = set(filter(None, args.skip.split(",")))
    q = args.quick
    out: dict[str, Any] = {"python": sys.version.split()[0], "quick": q,
                           "peers": {p: _version(p) for p, ok in AVAILABLE.items() if ok}}
    tables = make_tables(20_000 if q else 100_000)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "engines" not in skip:
            print("== bulk evaluation (us per claim, median) ==", flush=True)
            out["engines"] = section_engines([100, 300] if q else [100, 1_000, 10_000], {100} if q else {100, 1_000},
                                             60 if q else 400, 3 if q else 6, 3 if q else 5, 1 if q else 3,
                                             tables, work)
        if "size" not in skip:
            print("== claim size (1,000 rules) ==", flush=True)
            out["claim_size"] = section_claim_size(300 if q else 1_000, [1, 5, 20] if q else [1, 2, 5, 10, 20, 50],
                                                   30 if q else 200, 3 if q else 5, tables, work)
        if "keyed" not in skip:
            print("== code-keyed rule count ==", flush=True)
            out["code_keyed"] = section_code_keyed([100, 1_000] if q else [100, 1_000, 10_000], 100 if q else 1_000,
                                                   3 if q else 7, work)
        if "tables" not in skip:
            print("== table size (PTP rows) ==", flush=True)
            out["table_size"] = section_table_size(300 if q else 1_000, [1_000, 20_000] if q else
                                                   [10_000, 100_000, 1_000_000], 60 if q else 400, 3 if q else 5, work)
        store = None
        if not {"store", "cold"} <= skip:
            t0 = time.perf_counter()
            store = build_store(work, 20_000 if q else 2_500_000)
            print(f"== full-size tables: generated and imported in {time.perf_counter() - t0:.1f} s ==", flush=True)
        if "store" not in skip and store is not None:
            out["store"] = section_store(store, 300 if q else 1_000, 60 if q else 400, 3 if q else 5, work)
        if "cold" not in skip:
            print("== cold start ==", flush=True)
            out["cold"] = section_cold(args.data or store, 1 if q else 3)
        if "jobs" not in skip:
            print("== --jobs ==", flush=True)
            out["jobs"] = section_jobs(300 if q else 20_000, 1 if q else 3, work)
    if args.json:
        args.json.write_text(json.dumps(out, indent=1, default=str))
    return 0


def _version(peer: str) -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version(peer)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
