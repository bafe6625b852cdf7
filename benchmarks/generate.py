"""Deterministic generators for benchmarks: realistic professional (837P-shaped) claims and synthetic rule packs.

    from benchmarks.generate import generate_claims, generate_rules_yaml
    claims = generate_claims(10_000, seed=7)            # list of claim dicts (Claim.model_validate-able)
    objs = generate_claims(100, as_objects=True)        # list of claimscrub.model.Claim
    text = generate_rules_yaml(1_000)                   # YAML of N code-keyed line rules

Everything is driven by one seeded `random.Random`, so the same arguments always give the same output.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import Any

from claimscrub.inputs.x12_generate import luhn_npi

# ---- code pools (real-looking CPT/HCPCS and ICD-10-CM) ------------------------------------------------------------

EM_NEW = ["99202", "99203", "99204", "99205"]
EM_EST = ["99211", "99212", "99213", "99214", "99215"]
THERAPY = ["97110", "97140", "97112", "97530", "97116", "97035"]
LABS = ["80053", "85025", "80061", "83036", "84443", "81001", "87086", "82947"]
INJECTIONS = ["J1100", "J3420", "J1885", "J0696", "J3301", "J1030", "J7050", "96372"]
IMMUNIZATION = ["90471", "90686", "90715", "90732"]
SURGERY = ["11042", "11721", "17000", "17110", "20610", "29881", "64483", "12001", "10060", "11102"]
RADIOLOGY = ["71046", "73030", "73562", "72100", "76700"]

DX_BY_GROUP = {
    "chronic": ["E11.9", "E11.65", "E78.5", "I10", "I25.10", "E66.9", "N18.3", "J44.9", "E03.9", "K21.9"],
    "msk": ["M54.50", "M17.11", "M17.12", "M25.561", "M25.562", "M75.101", "M54.16", "S83.241A", "M79.7"],
    "acute": ["J06.9", "J02.9", "N39.0", "R05.9", "R50.9", "B34.9", "H66.90", "J01.90"],
    "preventive": ["Z00.00", "Z00.01", "Z23", "Z12.31", "Z13.220", "Z01.419"],
    "skin": ["L57.0", "L82.1", "B07.8", "L03.115", "L97.412", "D48.5"],
    "mental": ["F41.1", "F32.A", "F33.1", "G47.00"],
}
ALL_DX = sorted({c for group in DX_BY_GROUP.values() for c in group})

PLACES = ["11", "11", "11", "11", "22", "19", "02", "12"]
BASE_CHARGE = {
    "99202": 110, "99203": 165, "99204": 245, "99205": 320, "99211": 45, "99212": 90, "99213": 135, "99214": 195,
    "99215": 265, "97110": 55, "97140": 50, "97112": 58, "97530": 60, "97116": 52, "97035": 25, "80053": 40,
    "85025": 22, "80061": 35, "83036": 28, "84443": 45, "81001": 12, "87086": 30, "82947": 10, "96372": 35,
    "90471": 30, "90686": 45, "90715": 60, "90732": 140,
}


def npi(rng: random.Random) -> str:
    """A 10-digit NPI with a valid check digit (Luhn over 80840 + the first nine digits, the CMS standard)."""
    return luhn_npi("".join(map(str, [rng.randint(1, 2)] + [rng.randint(0, 9) for _ in range(8)])))


def _charge(rng: random.Random, code: str, units: int) -> str:
    base = BASE_CHARGE.get(code)
    if base is None:
        base = 400 + rng.randint(0, 1600) if code[0].isdigit() and code < "70000" else 20 + rng.randint(0, 180)
    value = base * units * rng.uniform(0.9, 1.3)
    return f"{value:.2f}"


def _encounter(rng: random.Random) -> tuple[str, list[str]]:
    """An encounter type and its diagnosis group mix."""
    kind = rng.choices(["office", "therapy", "preventive", "procedure", "injection", "labs"],
                       weights=[40, 15, 12, 13, 10, 10])[0]
    groups = {
        "office": ["chronic", "acute", "mental"], "therapy": ["msk"], "preventive": ["preventive", "chronic"],
        "procedure": ["skin", "msk"], "injection": ["msk", "chronic"], "labs": ["chronic", "preventive"],
    }[kind]
    return kind, groups


def _lines_for(rng: random.Random, kind: str, n_lines: int, new_patient: bool) -> list[tuple[str, list[str], int]]:
    """(code, modifiers, units) for an encounter of the given kind."""
    out: list[tuple[str, list[str], int]] = []
    em = rng.choice(EM_NEW if new_patient else EM_EST)
    if kind in ("office", "preventive", "procedure", "injection") or rng.random() < 0.3:
        out.append((em, [], 1))
    pools = {"office": LABS + INJECTIONS + RADIOLOGY, "therapy": THERAPY, "preventive": IMMUNIZATION + LABS,
             "procedure": SURGERY, "injection": INJECTIONS, "labs": LABS}[kind]
    while len(out) < n_lines:
        code = rng.choice(pools if rng.random() < 0.85 else LABS + THERAPY + SURGERY + INJECTIONS)
        if any(c == code for c, _m, _u in out) and rng.random() < 0.9:
            continue  # repeated codes are rare on real claims
        mods: list[str] = []
        units = 1
        if code in THERAPY:
            units = rng.choice([1, 1, 2, 2, 3, 4])
            if rng.random() < 0.12:
                mods.append(rng.choice(["59", "XS", "GP"]))
        elif code.startswith("J"):
            units = rng.choice([1, 1, 2, 4, 10, 40])
        elif code in SURGERY:
            if rng.random() < 0.25:
                mods.append(rng.choice(["RT", "LT"]))
            if rng.random() < 0.08:
                mods.append("76")
            if rng.random() < 0.10:
                mods.append(rng.choice(["59", "XS"]))
        elif code in LABS and rng.random() < 0.05:
            mods.append("91")
        out.append((code, mods, units))
    if out and out[0][0] == em and len(out) > 1 and rng.random() < 0.6:
        out[0] = (em, ["25"], 1)  # significant, separately identifiable E/M with a procedure
    if rng.random() < 0.02 and len(out) > 1:  # an occasional exact duplicate line
        out[-1] = out[-2]
    return out[:n_lines]


def generate_claim(rng: random.Random, index: int) -> dict[str, Any]:
    kind, groups = _encounter(rng)
    n_dx = min(12, max(1, int(rng.expovariate(1 / 2.5)) + 1))
    pool = [c for g in groups for c in DX_BY_GROUP[g]]
    dx = rng.sample(pool, min(n_dx, len(pool)))
    while len(dx) < n_dx:
        extra = rng.choice(ALL_DX)
        if extra not in dx:
            dx.append(extra)
    n_lines = min(20, max(1, int(rng.expovariate(1 / 3.0)) + 1))
    new_patient = rng.random() < 0.2
    dos = date(2026, 1, 1) + timedelta(days=rng.randint(0, 364))
    birth = date(1940, 1, 1) + timedelta(days=rng.randint(0, 365 * 84))
    if kind == "preventive" and rng.random() < 0.3:
        birth = dos - timedelta(days=rng.randint(60, 365 * 17))
    lines = []
    for i, (code, mods, units) in enumerate(_lines_for(rng, kind, n_lines, new_patient), start=1):
        line_dos = dos if rng.random() < 0.9 else dos + timedelta(days=rng.randint(1, 14))
        pointers = sorted(rng.sample(range(1, len(dx) + 1), min(len(dx), rng.choice([1, 1, 2, 3, 4]))))
        lines.append({
            "number": i, "code": code, "modifiers": mods, "units": units, "charge": _charge(rng, code, units),
            "service_date_from": line_dos.isoformat(), "diagnosis_pointers": pointers,
        })
    total = sum(float(ln["charge"]) for ln in lines)
    if rng.random() < 0.01:
        total += 10  # an out-of-balance claim
    billing = npi(rng)
    claim: dict[str, Any] = {
        "claim_id": f"BENCH-{index:07d}",
        "type": "professional",
        "frequency_code": "1" if rng.random() < 0.97 else "7",
        "submission_date": (max(date.fromisoformat(ln["service_date_from"]) for ln in lines)
                            + timedelta(days=rng.randint(1, 40))).isoformat(),
        "payer": {"id": rng.choice(["00901", "87726", "60054", "62308", "SX105"]), "name": "Payer"},
        "patient": {"id": f"P{rng.randint(10**6, 10**7 - 1)}", "birth_date": birth.isoformat(),
                    "sex": rng.choice(["F", "M"]), "relationship": "18"},
        "subscriber": {"member_id": f"M{rng.randint(10**8, 10**9 - 1)}"},
        "billing_provider": {"npi": billing, "taxonomy": "207Q00000X", "tax_id": f"{rng.randint(10**8, 10**9 - 1)}"},
        "rendering_provider": {"npi": npi(rng) if rng.random() < 0.7 else billing},
        "place_of_service": rng.choice(PLACES),
        "total_charge": f"{total:.2f}",
        "statement_from": dos.isoformat(),
        "diagnoses": [{"code": c, "qualifier": "ABK" if i == 0 else "ABF"} for i, c in enumerate(dx)],
        "lines": lines,
    }
    return claim


def generate_claims(n: int, seed: int = 20260101, as_objects: bool = False) -> list[Any]:
    """`n` claims (dicts, or `Claim` objects with as_objects=True); same seed, same claims."""
    rng = random.Random(seed)
    claims = [generate_claim(rng, i) for i in range(n)]
    if as_objects:
        from claimscrub.model import Claim

        return [Claim.model_validate(c) for c in claims]
    return claims


# ---- synthetic rule packs ------------------------------------------------------------------------------------------

def synthetic_codes(n: int, seed: int = 99) -> list[str]:
    """`n` distinct 5-character codes; the first few overlap the generator's real codes so some rules fire."""
    rng = random.Random(seed)
    real = sorted(set(EM_NEW + EM_EST + THERAPY + LABS + INJECTIONS + SURGERY + RADIOLOGY + IMMUNIZATION))
    codes: list[str] = list(real[: min(len(real), n)])
    seen = set(codes)
    while len(codes) < n:
        code = f"{rng.choice('ABCDEGHJKLMPQRSTUV')}{rng.randint(0, 9999):04d}"
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return codes


def generate_rules_yaml(n: int, seed: int = 99, name: str = "bench.synthetic") -> str:
    """A pack of `n` code-keyed line rules (each `line.code == "X" and ...`), so the index keys every one."""
    rng = random.Random(seed)
    out = [f'pack:\n  name: {name}\n  version: "1"\nrules:\n']
    for i, code in enumerate(synthetic_codes(n, seed)):
        kind = i % 4
        cond = {
            0: f'line.code == "{code}" and line.units > {rng.randint(2, 12)}',
            1: f'line.code == "{code}" and line has any modifier in {{"59", "XS", "76"}}',
            2: f'line.code == "{code}" and line.charge > ${rng.randint(100, 3000)}',
            3: f'line.code == "{code}" and len(line.dx) == 0',
        }[kind]
        out.append(
            f"  - id: SYN-{i:05d}\n    title: synthetic rule {i}\n    category: payer.custom\n    severity: warning\n"
            f"    scope: line\n    when: '{cond}'\n    message: 'Line {{line.number}}: {code} rule {i}'\n"
            f"    source: synthetic benchmark rule\n")
    return "".join(out)


if __name__ == "__main__":  # pragma: no cover - quick look at the output
    import json
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    print(json.dumps(generate_claims(count), indent=2))
