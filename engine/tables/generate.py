"""Deterministic synthetic CMS tables at full size, in the exact published layouts, for benchmarks.

    python -m claimscrub.tables.generate --out DIR [--ptp-rows 2500000] [--mue-rows 15000] [--seed 7]

Writes ``ccipra-v322r0-f1.txt`` .. ``f4.txt`` (tab-delimited, Latin-1, CRLF, the six notice/header lines,
rows sorted by column 1 and split into four parts by column 1 code range like CMS), a practitioner MUE CSV
(quoted multi-line notice and header cells) and an add-on code file. Codes are random 5-character strings
shaped like CPT/HCPCS codes; no real descriptors, rationales are the CMS category names.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
from datetime import date, timedelta
from pathlib import Path

PTP_PREAMBLE = (
    "CPT only copyright 2025 American Medical Association.  All rights reserved.\t\t\t\t\t\t",
    "Column1/Column2 Edits\t\t\t\t\t\t",
    "Column 1\tColumn 2\t*=in existence\tEffective\tDeletion\tModifier\tPTP Edit Rationale",
    "\t\tprior to 1996\tDate\tDate\t0=not allowed\t",
    "\t\t\t\t*=no data\t1=allowed\t",
    "\t\t\t\t\t9=not applicable\t",
)
RATIONALES = (
    "CPT Manual or CMS manual coding instruction",
    "Misuse of Column Two code with Column One code",
    "Mutually exclusive procedures",
    "Standards of medical/surgical practice",
    "HCPCS/CPT procedure code definition",
    "More extensive procedure",
    "Anesthesia service included in surgical procedure",
    "Laboratory panel",
)
MUE_NOTICE = (
    '"Current Procedural Terminology (CPT) codes, descriptions and other data only are copyright 2025 American '
    "Medical Association. All rights reserved. \n\nCPT\xae is a registered trademark of the American Medical "
    'Association.\n\nApplicable FARS/DFARS Restrictions Apply to Government Use. ",,,'
)
MUE_HEADER = '"HCPCS/\nCPT Code",Practitioner Services MUE Values,MUE Adjudication Indicator,MUE Rationale'
MAI_TEXT = ("1 Line Edit", "2 Date of Service Edit: Policy", "3 Date of Service Edit: Clinical")
MUE_RATIONALES = ("Code Descriptor / CPT Instruction", "Nature of Analyte", "Nature of Service/Procedure",
                  "Clinical: CMS Workgroup", "Anatomic Consideration")


def make_codes(rng: random.Random, n: int) -> list[str]:
    """n distinct sorted codes: mostly 5 digits, some Category III (####T), PLA (####U) and HCPCS (A####)."""
    codes: set[str] = set()
    while len(codes) < n:
        r = rng.random()
        if r < 0.75:
            codes.add(f"{rng.randrange(10000, 100000):05d}")
        elif r < 0.82:
            codes.add(f"{rng.randrange(0, 10000):04d}T")
        elif r < 0.86:
            codes.add(f"{rng.randrange(0, 10000):04d}U")
        else:
            codes.add(f"{rng.choice('ABCEGHJKLMPQRSTV')}{rng.randrange(0, 10000):04d}")
    return sorted(codes)


def _ymd(d: date) -> str:
    return f"{d.year:04d}{d.month:02d}{d.day:02d}"


def write_ptp(out: Path, rows: int, seed: int, codes: list[str], prefix: str = "ccipra-v322r0") -> list[Path]:
    """Write `rows` PTP rows over four parts; returns the part paths."""
    rng = random.Random(seed)
    n_codes = len(codes)
    # column 1 codes with a skewed number of column 2 partners that sums to `rows`
    n_col1 = min(n_codes, max(1, rows // 160))  # CMS: ~15 K column 1 codes, ~165 partners each
    col1 = sorted(rng.sample(codes, n_col1))
    if rows > n_col1 * (n_codes - 1):
        raise ValueError(f"{rows} PTP rows need more codes than {n_codes}")
    weights = [rng.paretovariate(1.3) for _ in col1]
    total = sum(weights)
    counts = [max(1, min(n_codes - 1, int(w / total * rows))) for w in weights]
    diff = rows - sum(counts)
    i = 0
    while diff != 0:
        j = i % len(counts)
        if diff > 0 and counts[j] < n_codes - 1:
            counts[j] += 1
            diff -= 1
        elif diff < 0 and counts[j] > 1:
            counts[j] -= 1
            diff += 1
        i += 1
    quarter = rows / 4
    parts = [out / f"{prefix}-f{k}.txt" for k in range(1, 5)]
    with contextlib.ExitStack() as stack:
        handles = [stack.enter_context(open(p, "w", encoding="latin-1", newline="")) for p in parts]
        for h in handles:
            h.write("\r\n".join(PTP_PREAMBLE) + "\r\n")
        written = 0
        base = date(1996, 1, 1)
        span = (date(2026, 7, 1) - base).days
        for c1, k in zip(col1, counts, strict=True):
            part = handles[min(3, int(written / quarter))]
            partners = sorted(rng.sample(codes, k + 1))
            buf = []
            for c2 in partners:
                if c2 == c1 or len(buf) == k:
                    continue
                prior = rng.random() < 0.15
                eff = base if prior else base + timedelta(days=rng.randrange(span))
                if rng.random() < 0.3:
                    dele = _ymd(min(eff + timedelta(days=rng.randrange(1, 4000)), date(2026, 6, 30)))
                else:
                    dele = "*"
                r = rng.random()
                mod = "1" if r < 0.85 else "0" if r < 0.96 else "9"
                buf.append(f"{c1}\t{c2}\t{'*' if prior else ''}\t{_ymd(eff)}\t{dele}\t{mod}\t{rng.choice(RATIONALES)}\r\n")
            part.write("".join(buf))
            written += len(buf)
    return parts


def write_mue(out: Path, rows: int, seed: int, codes: list[str]) -> Path:
    rng = random.Random(seed + 1)
    path = out / "MCR_MUE_PractitionerServices_Eff_07-01-2026.csv"
    chosen = sorted(rng.sample(codes, min(rows, len(codes))))
    with open(path, "w", encoding="latin-1", newline="") as h:
        h.write(MUE_NOTICE + "\r\n" + MUE_HEADER + "\r\n")
        for c in chosen:
            mai = rng.choice((1, 2, 2, 3, 3))
            value = rng.choice((1, 1, 1, 2, 3, 4, 6, 10, 24, 99))
            h.write(f"{c},{value},{MAI_TEXT[mai - 1]},{rng.choice(MUE_RATIONALES)}\r\n")
    return path


def write_addon(out: Path, rows: int, seed: int, codes: list[str]) -> Path:
    rng = random.Random(seed + 2)
    path = out / "AOC_V2026Q3_01-MCR.txt"
    header = ("Add-on Code\tPrimary Code\tAOC Edit Type\tAOC Del Dt\tPrimary Code Del Dt\tAOC Edit Eff Dt\t"
              "AOC Edit Del Dt\tSpecial Instruction Notes")
    with open(path, "w", encoding="latin-1", newline="") as h:
        h.write(header + "\r\n")
        addons = sorted(rng.sample(codes, min(rows, len(codes))))
        for a in addons:
            t = rng.choice((1, 1, 1, 2, 3))
            primaries = ["CCCCC"] if t == 2 else sorted(rng.sample(codes, rng.randint(1, 12)))
            for p in primaries:
                eff = f"{rng.randint(2013, 2026)}{rng.randint(1, 365):03d}"
                h.write(f"{a}\t{p}\t{t}\t9999999\t9999999\t{eff}\t9999999\t\r\n")
    return path


def generate(out: Path, ptp_rows: int = 2_500_000, mue_rows: int = 15_000, addon_rows: int = 3_100,
             seed: int = 7, n_codes: int = 15_000) -> dict[str, list[Path]]:
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    codes = make_codes(rng, max(n_codes, 50))
    return {
        "ncci-ptp": write_ptp(out, ptp_rows, seed, codes),
        "mue": [write_mue(out, mue_rows, seed, codes)],
        "addon": [write_addon(out, addon_rows, seed, codes)],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m claimscrub.tables.generate", description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, required=True, help="directory to write the files into")
    ap.add_argument("--ptp-rows", type=int, default=2_500_000)
    ap.add_argument("--mue-rows", type=int, default=15_000)
    ap.add_argument("--addon-rows", type=int, default=3_100)
    ap.add_argument("--codes", type=int, default=15_000, help="distinct procedure codes")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    files = generate(args.out, args.ptp_rows, args.mue_rows, args.addon_rows, args.seed, args.codes)
    for kind, paths in files.items():
        for p in paths:
            print(f"{kind}\t{p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
