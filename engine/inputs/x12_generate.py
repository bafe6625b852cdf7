"""A deterministic 837P generator: N synthetic claims of realistic shape for benchmarks and memory tests.

Why: the corpus's largest 837 holds 820 claims; throughput and bounded-memory claims need 10^4-10^5. The output is
005010X222A1 with one billing provider per 50 claims, a subscriber per claim (every 5th with a separate patient
HL 23), 1-6 service lines, ICD-10 ABK/ABF diagnoses, modifiers, pointers, RD8 and D8 dates, REF G1, PWK and an NDC
line now and then. Data is synthetic (no PHI); NPIs are Luhn-valid. Same `n` and `seed` give the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

__all__ = ["generate_837p", "iter_837p_segments", "luhn_npi"]

_CPT = ["99213", "99214", "99203", "36415", "85025", "80053", "93000", "71046", "97110", "20610", "J1885", "G0439"]
_MODS = ["25", "59", "RT", "LT", "XS", "GA", "76", "91"]
_ICD10 = ["E119", "I10", "J069", "M545", "Z0000", "R0789", "E785", "K219", "F419", "N390", "M170", "S52501A"]
_POS = ["11", "11", "11", "22", "19", "02"]


def luhn_npi(base9: str) -> str:
    """A 10-digit NPI with its check digit (Luhn over 80840 + the first 9 digits)."""
    digits = [int(c) for c in "80840" + base9]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return base9 + str((10 - total % 10) % 10)


def iter_837p_segments(n: int, seed: int = 837) -> Iterator[str]:
    """Segments (without terminator) of one interchange holding `n` claims in one transaction set."""
    rng = random.Random(seed)
    yield ("ISA*00*          *00*          *ZZ*CLAIMSCRUBGEN  *ZZ*RECEIVER       *250101*1200*^*00501*"
           "000000001*0*T*:")
    yield "GS*HC*CLAIMSCRUBGEN*RECEIVER*20250101*1200*1*X*005010X222A1"
    yield "ST*837*0001*005010X222A1"
    count = 1
    body: list[str] = [
        "BHT*0019*00*BATCH1*20250101*1200*CH",
        "NM1*41*2*SYNTHETIC SUBMITTER*****46*SUB001",
        "PER*IC*BILLING OFFICE*TE*5555550100",
        "NM1*40*2*SYNTHETIC PAYER*****46*RCV001",
    ]
    yield from body
    count += len(body)
    hl = 0
    base = date(2025, 1, 6)
    for i in range(n):
        segs: list[str] = []
        if i % 50 == 0:
            hl += 1
            billing_hl = hl
            npi = luhn_npi(f"{100000000 + i // 50:09d}")
            segs += [f"HL*{hl}**20*1", "PRV*BI*PXC*207Q00000X",
                     f"NM1*85*2*SYNTHETIC CLINIC {i // 50}*****XX*{npi}", "N3*1 MAIN ST", "N4*ANYTOWN*MD*207051234",
                     f"REF*EI*{520000000 + i // 50}"]
        hl += 1
        has_patient = i % 5 == 4
        segs += [f"HL*{hl}*{billing_hl}*22*{1 if has_patient else 0}",
                 f"SBR*P*{'' if has_patient else '18'}*GRP{i % 97:04d}******CI",
                 f"NM1*IL*1*MEMBER*TEST****MI*M{i:09d}", "N3*3 ELM ST", "N4*ANYTOWN*MD*20705"]
        dob = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 28000))
        sex = rng.choice("FM")
        if not has_patient:
            segs.append(f"DMG*D8*{dob:%Y%m%d}*{sex}")
        segs.append("NM1*PR*2*SYNTHETIC HEALTH PLAN*****PI*PAYER01")
        if has_patient:
            hl += 1
            segs += [f"HL*{hl}*{hl - 1}*23*0", "PAT*19", "NM1*QC*1*DEPENDENT*TEST", "N3*2 SIDE ST",
                     "N4*ANYTOWN*MD*20705", f"DMG*D8*{(dob + timedelta(days=9000)):%Y%m%d}*{sex}"]
        nlines = rng.randint(1, 6)
        ndx = rng.randint(1, 4)
        dxs = rng.sample(_ICD10, ndx)
        pos = rng.choice(_POS)
        dos = base + timedelta(days=rng.randrange(0, 300))
        lines: list[str] = []
        total = 0
        for ln in range(1, nlines + 1):
            code = rng.choice(_CPT)
            mods = rng.sample(_MODS, rng.choice([0, 0, 0, 1, 1, 2]))
            charge = rng.randrange(15, 400)
            total += charge
            units = rng.choice([1, 1, 1, 2, 3])
            ptrs = ":".join(str(p) for p in sorted(rng.sample(range(1, ndx + 1), rng.randint(1, ndx))))
            proc = ":".join(["HC", code, *mods])
            lines += [f"LX*{ln}", f"SV1*{proc}*{charge}*UN*{units}***{ptrs}"]
            if rng.random() < 0.2:
                end = dos + timedelta(days=rng.randint(1, 3))
                lines.append(f"DTP*472*RD8*{dos:%Y%m%d}-{end:%Y%m%d}")
            else:
                lines.append(f"DTP*472*D8*{dos:%Y%m%d}")
            if code.startswith("J") and rng.random() < 0.8:
                lines += ["LIN**N4*00409123401", "CTP****1*UN"]
        segs.append(f"CLM*PCN{i:08d}*{total}***{pos}:B:1*Y*A*Y*Y")
        if rng.random() < 0.05:
            segs.append(f"PWK*09*FX***AC*ATT{i:07d}")
        if rng.random() < 0.1:
            segs.append(f"REF*G1*AUTH{i:06d}")
        hi = "*".join(("ABK:" if k == 0 else "ABF:") + d for k, d in enumerate(dxs))
        segs.append(f"HI*{hi}")
        if rng.random() < 0.3:
            segs += [f"NM1*82*1*RENDERING*DOC****XX*{luhn_npi(f'{200000000 + i % 1000:09d}')}", "PRV*PE*PXC*207R00000X"]
        segs += lines
        count += len(segs)
        yield from segs
    count += 1
    yield f"SE*{count}*0001"
    yield "GE*1*1"
    yield "IEA*1*000000001"


def generate_837p(n: int, seed: int = 837, newline: bool = True) -> str:
    """The whole interchange as text; `newline` puts each segment on its own line, as most senders do."""
    term = "~\n" if newline else "~"
    return term.join(iter_837p_segments(n, seed)) + term
