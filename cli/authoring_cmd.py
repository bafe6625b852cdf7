"""Authoring commands: `claimscrub test`, `claimscrub impact`, `claimscrub rules lint|fmt|doc|diff`.

Mounted by `cli/main.py:_mount_optional()` through `register(app, rules_app)`.
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from claimscrub.cli.common import fail
from rich.console import Console
from rich.markup import escape

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

PathsArg = Annotated[list[Path] | None, typer.Argument(help="Rule files or directories (default: shipped rules).")]


class TextOrJson(StrEnum):
    text = "text"
    json = "json"


def _fail(message: str, code: int = 2) -> typer.Exit:
    return fail(message, code)


def _exists(paths: list[Path] | None) -> None:
    for p in paths or []:
        if not p.exists():
            raise _fail(f"{p} does not exist")


def _rule_set_errors(exc: Any) -> typer.Exit:
    for d in exc.diagnostics:
        err.print(escape(d.render()))
    err.print(f"[bold red]{len(exc.diagnostics)} error(s) in the rule set[/]")
    return typer.Exit(2)


def _print_json(doc: Any) -> None:
    sys.stdout.write(json.dumps(doc, indent=2, ensure_ascii=False, default=str) + "\n")


# ---- test ----------------------------------------------------------------------------------------------------------

def test_cmd(
    paths: Annotated[list[Path] | None, typer.Argument(help="Rule packs, rule directories and test-case files "
                                                       "(YAML/JSON with `cases:`). Default: shipped rules and "
                                                       "their tests/cases/.")] = None,
    junit: Annotated[Path | None, typer.Option("--junit", help="Write JUnit XML to this file.")] = None,
    show_coverage: Annotated[bool, typer.Option("--coverage", help="Report rules never exercised, never fired, "
                                                "never passed.")] = False,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rule ids.")] = None,
    payers: Annotated[Path | None, typer.Option("--payers", help="Payer profiles for cases with `payer:` "
                                                "(default: shipped payers/).")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Also list passing tests.")] = False,
    fmt: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Run every rule's examples and every test case; exit 1 when one fails."""
    from claimscrub.authoring.testing import coverage, coverage_lines, junit_xml, report_lines, run_tests
    from claimscrub.source import RuleSetError

    _exists(paths)
    _exists([payers] if payers else None)
    try:
        run = run_tests(paths, payers, set(rule) if rule else None)
    except RuleSetError as exc:
        raise _rule_set_errors(exc) from None
    cov = coverage(run.ruleset, run.examples, run.cases)
    if junit:
        junit.write_text(junit_xml(run), encoding="utf-8")
    if fmt is TextOrJson.json:
        doc: dict[str, Any] = {
            "examples": [{"rule": e.rule.id, "index": e.index, "kind": e.kind, "ok": e.ok, "detail": e.detail,
                          "location": e.location} for e in run.examples],
            "cases": [{"file": c.file, "index": c.index, "name": c.name, "ok": c.ok, "detail": c.detail,
                       "diff": c.diff} for c in run.cases],
            "errors": run.errors, "failed": run.failed, "total": run.total}
        if show_coverage:
            doc["coverage"] = cov.as_dict()
        _print_json(doc)
    else:
        for line in report_lines(run, verbose):
            style = "bold red" if line.startswith(("FAIL", "ERROR")) else ""
            out.print(f"[{style}]{escape(line)}[/]" if style else escape(line))
        if show_coverage:
            for line in coverage_lines(cov):
                out.print(escape(line))
    if run.failed:
        raise typer.Exit(1)


# ---- rules lint ----------------------------------------------------------------------------------------------------

def lint_cmd(
    paths: PathsArg = None,
    fmt: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Lint rule packs: missing sources and examples, duplicate or impossible conditions, unused names,
    deprecated fields. Exit 1 when there are errors (2 when the packs do not even check)."""
    from claimscrub.api import check_files, default_rules_path
    from claimscrub.authoring.lint import lint_packs

    targets = paths or [default_rules_path()]
    _exists(targets)
    packs, diags = check_files(targets)
    check_errors = [d for d in diags if d.severity == "error"]
    result = lint_packs(packs)
    if fmt is TextOrJson.json:
        _print_json({"diagnostics": [d.as_dict() for d in [*check_errors, *result.diagnostics]],
                     "errors": result.errors + len(check_errors), "warnings": result.warnings})
    else:
        for d in [*check_errors, *result.diagnostics]:
            out.print(escape(d.render()))
        n_rules = sum(len(p.rules) for p in packs)
        out.print(f"{len(packs)} pack(s), {n_rules} rules: {result.errors + len(check_errors)} error(s), "
                  f"{result.warnings} warning(s)")
    if check_errors:
        raise typer.Exit(2)
    if result.errors:
        raise typer.Exit(1)


# ---- rules diff ----------------------------------------------------------------------------------------------------

def diff_cmd(
    old: Annotated[str, typer.Argument(help="Old rule set: file, directory or git:REV:path.")],
    new: Annotated[str, typer.Argument(help="New rule set: file, directory or git:REV:path.")],
    fmt: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
    table: Annotated[list[str] | None, typer.Option("--table", help="Also diff two imported versions of a table: "
                                                    "KIND=OLD..NEW, e.g. ncci-ptp=v321r0..v322r0 (repeatable).")]
    = None,
    data: Annotated[Path | None, typer.Option("--data", help="Table store for --table (default: see `data list`).")]
    = None,
) -> None:
    """Rules added, removed and changed (conditions as a diff of their canonical form, not of the YAML), and
    with --table the rows added, removed and changed between two versions of a reference table."""
    from claimscrub.authoring.diff import SourceError, diff_specs, render_text
    from claimscrub.cli.data_cmd import table_diff
    from claimscrub.source import RuleSetError
    from claimscrub.tables.store import Store

    specs = []
    for spec in table or []:
        kind, _, versions = spec.partition("=")
        old_v, sep, new_v = versions.partition("..")
        if not (kind and old_v and sep and new_v):
            raise _fail(f"--table {spec!r}: write KIND=OLD..NEW, e.g. ncci-ptp=v321r0..v322r0")
        specs.append((kind, old_v, new_v))
    try:
        d = diff_specs(old, new)
    except SourceError as exc:
        raise _fail(str(exc)) from None
    except RuleSetError as exc:
        raise _rule_set_errors(exc) from None
    tables = [table_diff(Store(data), kind, a, b, None) for kind, a, b in specs]
    if fmt is TextOrJson.json:
        _print_json({**d.as_dict(), "tables": [t.as_dict(20) for t in tables]} if tables else d.as_dict())
    else:
        for line in render_text(d):
            out.print(escape(line))
        for t in tables:
            for line in t.render():
                out.print(escape(line))


# ---- impact --------------------------------------------------------------------------------------------------------

def impact_cmd(
    claims: Annotated[list[Path], typer.Argument(help="Claim files or directories.")],
    old: Annotated[str, typer.Option("--old", help="Old rule set: file, directory or git:REV:path.")],
    new: Annotated[str, typer.Option("--new", help="New rule set: file, directory or git:REV:path.")],
    as_of: Annotated[str | None, typer.Option("--as-of", help="Processing date YYYY-MM-DD (default: today).")]
    = None,
    payers: Annotated[Path | None, typer.Option("--payers", help="Route claims through these payer profiles "
                                                "(counts by payer).")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Reference table store.")] = None,
    html_out: Annotated[Path | None, typer.Option("--html", help="Write an HTML report with an SVG chart.")] = None,
    examples: Annotated[int, typer.Option("--examples", help="Examples kept per rule and direction.")] = 3,
    fmt: Annotated[TextOrJson, typer.Option("--format", "-f")] = TextOrJson.text,
) -> None:
    """Scrub claims with the old and the new rule set and report which claims gain or lose findings."""
    import tempfile

    from claimscrub.api import Scrubber, input_items, load_ruleset
    from claimscrub.authoring.diff import SourceError, materialize
    from claimscrub.authoring.impact import compare_results, render_html, render_text
    from claimscrub.cli.main import _as_of, _tables
    from claimscrub.source import RuleSetError

    _exists(claims)
    when = _as_of(as_of)
    tables = _tables(data)
    with tempfile.TemporaryDirectory(prefix="claimscrub-impact-") as tmp:
        try:
            paths = [materialize(spec, Path(tmp) / side) for side, spec in (("old", old), ("new", new))]
            if payers:
                from claimscrub.payer_profiles import PayerScrubber, load_registry

                scrubbers = [PayerScrubber(load_registry(payers, [p]), tables, when) for p in paths]
            else:
                scrubbers = [Scrubber(load_ruleset([p]), tables, when) for p in paths]
        except SourceError as exc:
            raise _fail(str(exc)) from None
        except RuleSetError as exc:
            raise _rule_set_errors(exc) from None
    results = []
    for s in scrubbers:
        results.append([s.scrub_item(item) for c in claims for item in input_items(c)])
    imp = compare_results(results[0], results[1], examples)
    if html_out:
        html_out.write_text(render_html(imp, old, new), encoding="utf-8")
    if fmt is TextOrJson.json:
        _print_json(imp.as_dict())
    else:
        for line in render_text(imp):
            out.print(escape(line))


# ---- rules doc -----------------------------------------------------------------------------------------------------

def doc_cmd(
    paths: PathsArg = None,
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for rules.md and index.html.")] = Path("rules-doc"),
    payer: Annotated[str | None, typer.Option("--payer", help="Document the rules as this payer profile resolves "
                                              "them (overrides, disabled rules, params).")] = None,
    payers: Annotated[Path | None, typer.Option("--payers", help="Payer profile directory (default: shipped).")]
    = None,
    on: Annotated[str | None, typer.Option("--on", help="Date for --payer version selection (YYYY-MM-DD).")] = None,
    title: Annotated[str, typer.Option("--title")] = "Rule catalogue",
) -> None:
    """Write a browsable catalogue (Markdown and one static HTML page) of the effective rules."""
    from claimscrub.authoring.doc import write_catalogue
    from claimscrub.cli.main import _as_of, _load
    from claimscrub.source import RuleSetError

    _exists(paths)
    if payer:
        from claimscrub.payer_profiles import load_registry

        try:
            registry = load_registry(payers, paths or None)
            profile_id, _ = registry.route(None, payer)
            ruleset = registry.build(registry.resolve(profile_id, _as_of(on)), {})
        except RuleSetError as exc:
            raise _rule_set_errors(exc) from None
        except KeyError as exc:
            raise _fail(str(exc.args[0])) from None
        title = f"{title} ({payer})"
    else:
        ruleset = _load(paths)
    for f in write_catalogue(ruleset, out_dir, title):
        out.print(f"wrote {escape(str(f))}")


# ---- rules fmt -----------------------------------------------------------------------------------------------------

def fmt_cmd(
    paths: PathsArg = None,
    check: Annotated[bool, typer.Option("--check", help="Change nothing; exit 1 when a file would change.")]
    = False,
) -> None:
    """Put each rule's keys in canonical order (id, title, ... examples), keeping comments."""
    from claimscrub.api import _rule_files, default_rules_path
    from claimscrub.authoring.fmt import FormatError, format_text

    targets = paths or [default_rules_path()]
    _exists(targets)
    changed, failed = [], False
    for f in _rule_files(targets):
        text = f.read_text(encoding="utf-8")
        try:
            new = format_text(text)
        except FormatError as exc:
            err.print(f"[bold red]error:[/] {escape(str(f))}: {escape(str(exc))}")
            failed = True
            continue
        if new != text:
            changed.append(f)
            if not check:
                f.write_text(new, encoding="utf-8")
            out.print(f"{'would reformat' if check else 'reformatted'} {escape(str(f))}")
    out.print(f"{len(changed)} file(s) {'would change' if check else 'changed'}")
    if failed:
        raise typer.Exit(2)
    if check and changed:
        raise typer.Exit(1)


def register(app: typer.Typer, rules_app: typer.Typer) -> None:
    app.command("test")(test_cmd)
    app.command("impact")(impact_cmd)
    rules_app.command("lint")(lint_cmd)
    rules_app.command("diff")(diff_cmd)
    rules_app.command("doc")(doc_cmd)
    rules_app.command("fmt")(fmt_cmd)
