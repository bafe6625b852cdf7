"""`claimscrub data import|list|diff`: turn official CMS files into the versioned table store, show what is in it
and what changed between two versions.

Exit status: 0 done (including "already imported"), 2 usage or input errors (unknown kind, missing file,
malformed rows under --strict, a file that is not of the kind given), 1 anything unexpected.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from claimscrub.tables.common import KINDS, TableImportError
from claimscrub.tables.diff import TableDiff, diff_tables
from claimscrub.tables.store import Store, default_data_dir, issues_text, load_version

app = typer.Typer(
    name="data",
    help="Import official reference tables (NCCI PTP, MUE, add-on codes, MCE, ICD-10-CM, payer csv) and list them.",
    no_args_is_help=True,
    add_completion=False,
)

DataOpt = Annotated[
    Path | None,
    typer.Option(
        "--data",
        help="Data directory (default: $CLAIMSCRUB_DATA, else $XDG_DATA_HOME/claimscrub, else ~/.local/share/claimscrub).",
        file_okay=False,
    ),
]


def _fail(message: str, code: int = 2) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)


@app.command("import")
def import_(
    kind: Annotated[str, typer.Argument(help=f"Table kind: {', '.join(KINDS)}.")],
    files: Annotated[list[Path] | None, typer.Argument(help="Official file(s); none for icd10cm.")] = None,
    data: DataOpt = None,
    effective: Annotated[
        str | None,
        typer.Option("--effective", help="Effective start date YYYY-MM-DD when the file name does not carry one."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Fail (import nothing) if any row is malformed.")] = False,
    setting: Annotated[
        str | None, typer.Option("--setting", help="practitioner, hospital or dme when the name/header does not say.")
    ] = None,
    definition: Annotated[
        Path | None, typer.Option("--definition", help="YAML table definition (required for kind csv).", dir_okay=False)
    ] = None,
) -> None:
    """Import FILE(s) of one KIND into the store; re-importing the same file is a no-op."""
    if kind not in KINDS:
        _fail(f"unknown kind {kind!r}; use one of: {', '.join(KINDS)}")
    eff: date | None = None
    if effective:
        try:
            eff = date.fromisoformat(effective)
        except ValueError:
            _fail(f"--effective {effective!r} is not a date (YYYY-MM-DD)")
    store = Store(data)
    try:
        reports = store.import_files(
            kind, list(files or []), setting=setting, effective=eff, strict=strict, definition=definition
        )
    except TableImportError as e:
        typer.echo(f"error: {e}", err=True)
        if e.issues:
            typer.echo(issues_text(e.issues), err=True)
        raise typer.Exit(2) from None
    except ValueError as e:  # bad --setting and friends
        _fail(str(e))
    for r in reports:
        typer.echo(r.summary())
        if r.malformed:
            typer.echo(issues_text(r.malformed), err=True)
        for w in r.warnings:
            typer.echo(f"warning: {w}", err=True)
    typer.echo(f"store: {store.root}")


@app.command("list")
def list_(
    data: DataOpt = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
) -> None:
    """Show every imported table version with its sources, SHA-256, rows and effective period."""
    if format not in ("text", "json"):
        _fail("--format must be text or json")
    store = Store(data)
    try:
        entries = store.entries()
    except TableImportError as e:
        _fail(str(e))
    if format == "json":
        typer.echo(json.dumps({"data_dir": str(store.root), "tables": entries}, indent=2, sort_keys=True))
        return
    if not entries:
        where = store.root if data else f"{store.root} (default; see --data)"
        typer.echo(f"no tables imported in {where}")
        return
    typer.echo(f"store: {store.root}")
    for e in entries:
        p = e["period"]
        span = f"{p['start']}..{p['end'] or ''}"
        setting = "" if e["setting"] == "all" else f" {e['setting']}"
        typer.echo(f"{e['kind']}{setting} {e['version']} [{p['label']} {span}] {e['rows']} rows")
        for s in e["sources"]:
            extra = f", {s['malformed']} malformed" if s.get("malformed") else ""
            part = f" {s['part']}" if s.get("part") else ""
            typer.echo(f"  {s['name']}{part}: {s.get('rows', 0)} rows{extra}, sha256 {s['sha256'][:16]}…, imported {s['imported_at']}")


@app.command("diff")
def diff(
    kind: Annotated[str, typer.Argument(help="Table kind: ncci-ptp, mue, addon, mce, icd10cm, csv:NAME.")],
    old: Annotated[str, typer.Argument(help="Old version (as `data list` shows it, e.g. v321r0 or 2026Q2).")],
    new: Annotated[str, typer.Argument(help="New version.")],
    setting: Annotated[str | None, typer.Option("--setting", help="practitioner, hospital or dme, when the kind "
                                                "is imported for several.")] = None,
    data: DataOpt = None,
    format: Annotated[str, typer.Option("--format", help="text or json.")] = "text",
    limit: Annotated[int, typer.Option("--limit", help="Rows shown per change type (json: 0 = all).")] = 20,
) -> None:
    """Rows added, removed and changed between two imported versions of one table (two NCCI quarters, say)."""
    if format not in ("text", "json"):
        _fail("--format must be text or json")
    d = table_diff(Store(data), kind, old, new, setting)
    if format == "json":
        typer.echo(json.dumps(d.as_dict(limit or None), indent=2))
    else:
        for line in d.render(limit):
            typer.echo(line)


def table_diff(store: Store, kind: str, old: str, new: str, setting: str | None) -> TableDiff:
    """The diff of two stored versions; exits 2 with the versions that exist when one is missing."""
    try:
        return diff_tables(load_version(store, kind, old, setting), load_version(store, kind, new, setting))
    except TableImportError as e:
        _fail(str(e))
        raise  # unreachable: _fail exits


def main() -> None:  # pragma: no cover - convenience entry point
    app()


__all__ = ["app", "default_data_dir"]
