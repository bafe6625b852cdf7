"""`claimscrub impact --old OLD --new NEW CLAIMS...`: what a rule change does to real claims.

Every claim is scrubbed with both rule sets; a finding is identified by (rule id, lines). The report lists the
claims that gain or lose findings, counts by rule, category and payer profile (when claims are routed through
profiles), and the first examples of each change. `render_html` draws the counts as an inline SVG bar chart.
"""

from __future__ import annotations

import html
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

FindingKey = tuple[str, tuple[int, ...]]


def _claim_key(r: dict[str, Any], n: int) -> tuple[Any, ...]:
    src = r.get("source") or {}
    return (src.get("file"), src.get("index", src.get("segment")), r.get("claim_id"), n)


def _findings(r: dict[str, Any]) -> dict[FindingKey, dict[str, Any]]:
    return {(f["rule_id"], tuple(f["lines"])): f for f in r.get("findings") or []}


@dataclass
class Impact:
    claims: int = 0
    changed_claims: int = 0
    gained_claims: int = 0
    lost_claims: int = 0
    status_changes: Counter[str] = field(default_factory=Counter)  # "clean->findings"
    gained: Counter[str] = field(default_factory=Counter)  # by rule
    lost: Counter[str] = field(default_factory=Counter)
    gained_by_category: Counter[str] = field(default_factory=Counter)
    lost_by_category: Counter[str] = field(default_factory=Counter)
    gained_by_payer: Counter[str] = field(default_factory=Counter)
    lost_by_payer: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # "+RULE" / "-RULE" -> examples

    def as_dict(self) -> dict[str, Any]:
        def c(x: Counter[str]) -> dict[str, int]:
            return dict(sorted(x.items(), key=lambda kv: (-kv[1], kv[0])))

        return {"claims": self.claims, "changed_claims": self.changed_claims, "gained_claims": self.gained_claims,
                "lost_claims": self.lost_claims, "status_changes": c(self.status_changes),
                "gained": {"by_rule": c(self.gained), "by_category": c(self.gained_by_category),
                           "by_payer": c(self.gained_by_payer)},
                "lost": {"by_rule": c(self.lost), "by_category": c(self.lost_by_category),
                         "by_payer": c(self.lost_by_payer)},
                "examples": self.examples}


def compare_results(old: Iterable[dict[str, Any]], new: Iterable[dict[str, Any]], max_examples: int = 3) -> Impact:
    """Pair results by (file, index, claim id) and count findings gained and lost."""
    imp = Impact()
    olds = {_claim_key(r, n): r for n, r in enumerate(old)}
    for n, b in enumerate(new):
        a = olds.get(_claim_key(b, n), {"findings": [], "status": "missing"})
        imp.claims += 1
        fa, fb = _findings(a), _findings(b)
        plus = [fb[k] for k in fb if k not in fa]
        minus = [fa[k] for k in fa if k not in fb]
        if a.get("status") != b.get("status"):
            imp.status_changes[f"{a.get('status')}->{b.get('status')}"] += 1
        if not plus and not minus:
            continue
        imp.changed_claims += 1
        imp.gained_claims += bool(plus)
        imp.lost_claims += bool(minus)
        payer = ((b.get("payer_profile") or {}).get("id")) or None
        for sign, found, by_rule, by_cat, by_payer in (("+", plus, imp.gained, imp.gained_by_category,
                                                         imp.gained_by_payer),
                                                        ("-", minus, imp.lost, imp.lost_by_category,
                                                         imp.lost_by_payer)):
            for f in found:
                by_rule[f["rule_id"]] += 1
                by_cat[f["category"]] += 1
                if payer:
                    by_payer[payer] += 1
                ex = imp.examples.setdefault(sign + f["rule_id"], [])
                if len(ex) < max_examples:
                    ex.append({"claim_id": b.get("claim_id"), "source": b.get("source"), "lines": f["lines"],
                               "message": f["message"]})
    return imp


def render_text(imp: Impact) -> list[str]:
    out = [f"{imp.claims} claims: {imp.changed_claims} changed ({imp.gained_claims} gain findings, "
           f"{imp.lost_claims} lose findings)"]
    if imp.status_changes:
        out.append("status: " + ", ".join(f"{k} {v}" for k, v in sorted(imp.status_changes.items())))
    rules = sorted(set(imp.gained) | set(imp.lost), key=lambda r: (-(imp.gained[r] + imp.lost[r]), r))
    if rules:
        out.append(f"{'rule':<28} {'gained':>7} {'lost':>7}")
        out.extend(f"{r:<28} {imp.gained[r]:>7} {imp.lost[r]:>7}" for r in rules)
    for title, g, lo in (("category", imp.gained_by_category, imp.lost_by_category),
                         ("payer", imp.gained_by_payer, imp.lost_by_payer)):
        keys = sorted(set(g) | set(lo))
        if keys:
            out.append(f"by {title}: " + ", ".join(f"{k} +{g[k]} -{lo[k]}" for k in keys))
    for key in sorted(imp.examples, key=lambda k: (k[1:], k[0])):
        for ex in imp.examples[key]:
            src = ex["source"] or {}
            where = f"{src.get('file', '')}#{src.get('index', '')}"
            out.append(f"  {key[0]} {key[1:]:<26} claim {ex['claim_id']} {where} lines {ex['lines']}: "
                       f"{ex['message']}")
    return out


def svg_bars(rows: list[tuple[str, int, int]], width: int = 720) -> str:
    """Horizontal bar chart: one row per label, a green bar (gained) and a red bar (lost)."""
    label_w, bar_h, gap = 230, 12, 10
    top = max([g for _, g, _ in rows] + [lo for _, _, lo in rows] + [1])
    scale = (width - label_w - 60) / top
    height = len(rows) * (2 * bar_h + gap) + 30
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="findings gained and lost by rule" font-family="sans-serif" font-size="12">']
    y = 20
    parts.append('<rect x="0" y="0" width="10" height="10" fill="#2e7d32"/><text x="14" y="10">gained</text>'
                 '<rect x="70" y="0" width="10" height="10" fill="#c62828"/><text x="84" y="10">lost</text>')
    for label, g, lo in rows:
        parts.append(f'<text x="0" y="{y + bar_h + 4}">{html.escape(label)}</text>')
        for i, (value, color) in enumerate(((g, "#2e7d32"), (lo, "#c62828"))):
            yy = y + i * bar_h
            parts.append(f'<rect x="{label_w}" y="{yy}" width="{value * scale:.1f}" height="{bar_h - 2}" '
                         f'fill="{color}"><title>{html.escape(label)}: {value}</title></rect>'
                         f'<text x="{label_w + value * scale + 4:.1f}" y="{yy + bar_h - 3}">{value}</text>')
        y += 2 * bar_h + gap
    parts.append("</svg>")
    return "".join(parts)


def render_html(imp: Impact, old: str, new: str) -> str:
    rules = sorted(set(imp.gained) | set(imp.lost), key=lambda r: (-(imp.gained[r] + imp.lost[r]), r))
    cats = sorted(set(imp.gained_by_category) | set(imp.lost_by_category))
    e = html.escape
    rows = "".join(f"<tr><td>{e(r)}</td><td>{imp.gained[r]}</td><td>{imp.lost[r]}</td></tr>" for r in rules)
    examples = "".join(
        f"<tr><td>{e(k[0])}</td><td>{e(k[1:])}</td><td>{e(str(x['claim_id']))}</td><td>{e(str(x['lines']))}</td>"
        f"<td>{e(x['message'])}</td></tr>" for k in sorted(imp.examples) for x in imp.examples[k])
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>claimscrub impact</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:60em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:2px 8px;text-align:left}}</style></head><body>
<h1>Rule change impact</h1>
<p>old: <code>{e(old)}</code> &rarr; new: <code>{e(new)}</code></p>
<p>{imp.claims} claims: {imp.changed_claims} changed, {imp.gained_claims} gain findings,
{imp.lost_claims} lose findings.</p>
<h2>By rule</h2>
{svg_bars([(r, imp.gained[r], imp.lost[r]) for r in rules])}
<table><tr><th>rule</th><th>gained</th><th>lost</th></tr>{rows}</table>
<h2>By category</h2>
{svg_bars([(c, imp.gained_by_category[c], imp.lost_by_category[c]) for c in cats])}
<h2>Examples</h2>
<table><tr><th></th><th>rule</th><th>claim</th><th>lines</th><th>message</th></tr>{examples}</table>
</body></html>
"""
