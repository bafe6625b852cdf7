"""`claimscrub rules doc --out DIR`: a browsable catalogue of the effective rules, as Markdown (`rules.md`) and
one static HTML page (`index.html`, no scripts): id, title, category, severity, scope, the condition in
canonical form, message, fix, denial, source, effective dates and examples, grouped by category."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from ..ruleset import Rule, RuleSet
from .diff import condition_lines


def _denial(d: dict[str, Any] | None) -> str:
    if not d:
        return ""
    rarc = " ".join(d.get("rarc") or [])
    return f"{d.get('group', '')}-{d.get('carc', '')}" + (f" ({rarc})" if rarc else "")


def _effective(r: Rule) -> str:
    if not (r.effective_from or r.effective_to):
        return "always"
    return f"{r.effective_from or '…'} to {r.effective_to or '…'}"


def _example(ex: dict[str, Any]) -> str:
    kind = "fires" if "fires" in ex else "passes"
    extra = {k: v for k, v in ex.items() if k not in ("fires", "passes")}
    return f"{kind}: {json.dumps(ex[kind], default=str)}" + (f" {json.dumps(extra, default=str)}" if extra else "")


def _by_category(rs: RuleSet) -> dict[str, list[Rule]]:
    groups: dict[str, list[Rule]] = defaultdict(list)
    for r in rs.rules:
        groups[r.category].append(r)
    return dict(sorted(groups.items()))


def render_markdown(rs: RuleSet, title: str) -> str:
    out = [f"# {title}", "", f"Rule set {rs.name} {rs.version}, sha256 `{rs.sha256[:12]}`, {len(rs.rules)} rules.", ""]
    groups = _by_category(rs)
    for cat, rules in groups.items():
        out.append(f"- **{cat}**: " + ", ".join(f"[{r.id}](#{r.id.lower()})" for r in rules))
    for cat, rules in groups.items():
        out += ["", f"## {cat}"]
        for r in rules:
            cond = "\n".join(condition_lines(r.when.node))
            out += ["", f"### {r.id}", "", f"**{r.title}**", "",
                    "| severity | scope | effective | pack | denial |", "|---|---|---|---|---|",
                    f"| {r.severity} | {r.scope} | {_effective(r)} | {r.pack.name} {r.pack.version} | "
                    f"{_denial(r.denial)} |", ""]
            for name, e in r.lets:
                out.append(f"let `{name}` = `{' '.join(condition_lines(e.node))}`  ")
            out += ["```", cond, "```", "", f"- message: {r.raw.get('message', '')}"]
            if r.raw.get("fix"):
                out.append(f"- fix: {r.raw['fix']}")
            out.append(f"- source: {r.source}")
            if r.tags:
                out.append(f"- tags: {', '.join(r.tags)}")
            for ex in r.examples:
                out.append(f"- example {_example(ex)}")
    return "\n".join(out) + "\n"


def render_html(rs: RuleSet, title: str) -> str:
    e = html.escape
    groups = _by_category(rs)
    toc = "".join(f"<li><b>{e(cat)}</b>: " + ", ".join(f'<a href="#{e(r.id)}">{e(r.id)}</a>' for r in rules)
                  + "</li>" for cat, rules in groups.items())
    body = []
    for cat, rules in groups.items():
        body.append(f'<h2 id="cat-{e(cat)}">{e(cat)}</h2>')
        for r in rules:
            lets = "".join(f"<li>let <code>{e(n)}</code> = <code>{e(' '.join(condition_lines(x.node)))}</code></li>"
                           for n, x in r.lets)
            exs = "".join(f"<li><code>{e(_example(x))}</code></li>" for x in r.examples)
            fix = f"<dt>fix</dt><dd>{e(str(r.raw.get('fix')))}</dd>" if r.raw.get("fix") else ""
            body.append(
                f'<section class="rule sev-{e(r.severity)}" id="{e(r.id)}"><h3>{e(r.id)} '
                f'<span class="sev">{e(r.severity)}</span></h3><p>{e(r.title)}</p>'
                f"<dl><dt>scope</dt><dd>{e(r.scope)}</dd><dt>effective</dt><dd>{e(_effective(r))}</dd>"
                f"<dt>pack</dt><dd>{e(r.pack.name)} {e(r.pack.version)}</dd>"
                f"<dt>denial</dt><dd>{e(_denial(r.denial)) or '-'}</dd></dl>"
                f"<ul>{lets}</ul><pre>{e(chr(10).join(condition_lines(r.when.node)))}</pre>"
                f"<dl><dt>message</dt><dd>{e(str(r.raw.get('message', '')))}</dd>{fix}"
                f"<dt>source</dt><dd>{e(r.source)}</dd></dl>"
                + (f"<details><summary>{len(r.examples)} examples</summary><ul>{exs}</ul></details>" if exs else "")
                + "</section>")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{e(title)}</title>
<style>body{{font-family:sans-serif;margin:2em auto;max-width:64em;line-height:1.4}}
pre{{background:#f5f5f5;padding:.5em;white-space:pre-wrap}}.rule{{border-top:1px solid #ddd;padding:.5em 0}}
.sev{{font-size:.7em;padding:1px 6px;border-radius:3px;color:#fff;background:#555}}
.sev-error .sev{{background:#c62828}}.sev-warning .sev{{background:#ef6c00}}.sev-info .sev{{background:#1565c0}}
dl{{display:grid;grid-template-columns:8em 1fr;margin:.3em 0}}dt{{color:#666}}dd{{margin:0}}</style></head><body>
<h1>{e(title)}</h1><p>Rule set {e(rs.name)} {e(rs.version)}, sha256 <code>{e(rs.sha256[:12])}</code>,
{len(rs.rules)} rules.</p><ul>{toc}</ul>
{"".join(body)}
</body></html>
"""


def write_catalogue(rs: RuleSet, out_dir: Path, title: str = "Rule catalogue") -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    md, page = out_dir / "rules.md", out_dir / "index.html"
    md.write_text(render_markdown(rs, title), encoding="utf-8")
    page.write_text(render_html(rs, title), encoding="utf-8")
    return [md, page]
