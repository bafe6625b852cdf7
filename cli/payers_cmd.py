"""`claimscrub payers`: list, show (the effective rule list with where every setting came from) and check profiles.

Analysts change payer behaviour by editing YAML, so the CLI's job is to make the result auditable: `show` prints
what will run on a date and why, `check` points at every mistake with file:line:col and a caret.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from claimscrub.cli.common import date_option
from rich.console import Console
from rich.markup import escape

app = typer.Typer(help="List, show and check payer profiles (payers/*.yaml).", no_args_is_help=True)
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

PayersOpt = Annotated[Path | None, typer.Option("--payers", help="Profile directory (default: shipped payers/).")]
RulesOpt = Annotated[list[Path] | None, typer.Option("--rules", "-r", help="Base rule packs (default: shipped).")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Machine-readable output.")]


def _registry(payers: Path | None, rules: list[Path] | None) -> Any:
    from claimscrub.payer_profiles import load_registry
    from claimscrub.source import RuleSetError

    for p in [*(rules or []), *([payers] if payers else [])]:
        if not p.exists():
            err.print(f"[bold red]error:[/] {escape(str(p))} does not exist")
            raise typer.Exit(2)
    try:
        return load_registry(payers, rules)
    except RuleSetError as exc:
        for d in exc.diagnostics:
            err.print(escape(d.render()))
        raise typer.Exit(2) from None


def _date(value: str | None) -> date:
    return date_option(value, "--on")


@app.command("list")
def list_(payers: PayersOpt = None, rules: RulesOpt = None, as_json: JsonOpt = False) -> None:
    """Every profile: id, payer ids it matches, what it extends, its dated versions."""
    reg = _registry(payers, rules)
    rows = []
    for p in sorted(reg.profiles.values(), key=lambda p: p.id):
        versions = [f"{v['version']} ({(v.get('effective') or {}).get('from', '…')}..."
                    f"{(v.get('effective') or {}).get('to') or ''})" for _, v in p.versions()]
        rows.append({"id": p.id, "name": p.name, "payer_ids": p.payer_ids, "extends": p.extends,
                     "edit_by": p.meta.get("edit_by", "date_of_service"), "versions": versions,
                     "file": p.doc.source.path})
    if as_json:
        print(json.dumps(rows, indent=2))
        return
    for r in rows:
        ext = f" extends {r['extends']}" if r["extends"] else ""
        out.print(f"[bold]{r['id']:<20}[/] {escape(r['name'])}{ext}")
        out.print(f"  payer ids: {', '.join(r['payer_ids']) or '-'} · edit by {r['edit_by']} · "
                  f"versions: {', '.join(r['versions']) or '-'} · [dim]{escape(r['file'])}[/]")


def _show_data(reg: Any, profile_id: str, on: date) -> dict[str, Any]:
    res = reg.resolve(profile_id, on)
    rs = reg.build(res)
    built = {r.id: r for r in rs.rules}
    rules = []
    for pk in [*res.packs, *res.custom]:
        for r in pk.rules:
            slot = res.overrides.get(r.id, {})
            disabled = "disable" in slot and slot["disable"].value is True
            sev = built[r.id].severity if r.id in built else r.severity
            rules.append({
                "id": r.id, "pack": pk.name, "location": r.location, "enabled": not disabled,
                "severity": sev, "base_severity": r.severity,
                "from": ("custom rule of " + pk.name) if pk in res.custom else
                        f"pack {pk.name} via {res.pack_origin[pk.name].value!r} of {res.pack_origin[pk.name].profile} "
                        f"({res.pack_origin[pk.name].where})",
                "overrides": {k: {"value": s.value, "profile": s.profile, "origin": s.origin,
                                  "where": str(s.where), "reason": s.reason} for k, s in sorted(slot.items())},
            })
    params = {}
    for pk in rs.packs:
        for name, prm in pk.params.items():
            k = f"{pk.name}.{name}"
            s = res.params.get(k)
            params[k] = {"value": rs.params.get(k), "default": prm.default,
                         "set_by": s.describe() if s else f"pack default ({pk.path})",
                         "reason": s.reason if s else None}
    tables = {n: {"version": t.spec.get("version"), "rows": len(t.rows()), "source": t.source,
                  "from": f"{t.profile.id} ({t.profile.pos(t.path)})"} for n, t in sorted(res.tables.items())}
    return {"profile": res.profile.id, "name": res.profile.name, "on": on.isoformat(), "version": res.version,
            "label": res.label, "edit_by": res.edit_by, "sha256": rs.sha256,
            "chain": [{"id": p.id, "file": p.doc.source.path, "version_in_effect": res.picks.get(p.id) or p.meta.get("version")}
                      for p in res.chain],
            "rules": rules, "params": params, "tables": tables,
            "problems": [d.as_dict() for d in res.diags]}


@app.command()
def show(
    profile: Annotated[str, typer.Argument(help="Profile id (or a payer id it matches).")],
    on: Annotated[str | None, typer.Option("--on", help="Date the profile is resolved for (default: today).")]
    = None,
    payers: PayersOpt = None,
    rules: RulesOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """The effective rule list on a date, with where every rule and setting came from."""
    reg = _registry(payers, rules)
    try:
        pid, _ = reg.route(None, profile)
    except KeyError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc.args[0]))}")
        raise typer.Exit(2) from None
    data = _show_data(reg, pid, _date(on))
    if as_json:
        print(json.dumps(data, indent=2, default=str))
        return
    out.print(f"[bold]{data['label']}[/] {escape(data['name'])} · on {data['on']} · edit by {data['edit_by']} · "
              f"sha256 {data['sha256'][:16]}")
    out.print("chain: " + " -> ".join(f"{c['id']}@{c['version_in_effect'] or 'base'} [dim]({escape(c['file'])})[/]"
                                      for c in data["chain"]))
    out.print("[bold]parameters[/]")
    for k, p in data["params"].items():
        why = f" [dim]— {escape(p['reason'])}[/]" if p["reason"] else ""
        out.print(f"  {k} = {p['value']!r}  [dim]← {escape(p['set_by'])}[/]{why}")
    if data["tables"]:
        out.print("[bold]payer tables[/]")
        for n, t in data["tables"].items():
            out.print(f"  {n} version {t['version']}, {t['rows']} rows  [dim]← {escape(t['from'])}[/]")
    n_on = sum(r["enabled"] for r in data["rules"])
    out.print(f"[bold]rules[/] ({n_on} enabled, {len(data['rules']) - n_on} disabled)")
    for r in data["rules"]:
        mark = f"{r['severity']:<7}" if r["enabled"] else "[dim]off    [/]"
        out.print(f"  {mark} {r['id']:<28} [dim]{escape(r['location'])} · {escape(r['from'])}[/]")
        for k, o in r["overrides"].items():
            why = f" — {escape(o['reason'])}" if o["reason"] else ""
            base = f" (pack: {r['base_severity']})" if k == "severity" else ""
            out.print(f"          {k}={o['value']!r}{base} ← {o['profile']} {o['origin']} ({escape(o['where'])}){why}")
    for d in data["problems"]:
        err.print(f"[yellow]{d['severity']}[{d['code']}][/] {escape(d['message'])} ({d['file']}:{d['line']}:{d['col']})")


@app.command()
def check(payers: PayersOpt = None, rules: RulesOpt = None, as_json: JsonOpt = False) -> None:
    """Every profile problem at once (unknown rules/packs/parameters, missing reasons, conflicts, shadowing,
    extends cycles, version dates), each at file:line:col with a caret. Exit 2 on errors."""
    reg = _registry(payers, rules)
    diags = reg.check()
    errors = [d for d in diags if d.severity == "error"]
    if as_json:
        print(json.dumps({"profiles": sorted(reg.profiles), "diagnostics": [d.as_dict() for d in diags],
                          "errors": len(errors)}, indent=2))
    else:
        for d in diags:
            err.print(escape(d.render()))
        warnings = len(diags) - len(errors)
        if errors:
            err.print(f"[bold red]{len(errors)} error(s)[/], {warnings} warning(s) in {len(reg.profiles)} profile(s)")
        else:
            out.print(f"[green]ok[/]: {len(reg.profiles)} profile(s), {warnings} warning(s), no errors")
    if errors:
        raise typer.Exit(2)


@app.command()
def schema() -> None:
    """Print the payer profile JSON Schema (for editors: yaml-language-server)."""
    from claimscrub.loader import load_schema

    print(json.dumps(load_schema("payer"), indent=2))
