"""The `claimscrub` command line. Exit codes: 0 nothing at or above --fail-on, 1 findings at or above it,
2 usage, input or rule errors."""

from __future__ import annotations

import gc
import json
import os
import sys
from datetime import date
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from claimscrub import __version__
from claimscrub.cli.common import date_option, fail
from rich.console import Console
from rich.markup import escape

app = typer.Typer(help="claimscrub: scrub healthcare claims against rules-as-data and explain every denial risk.",
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
rules_app = typer.Typer(help="Check, compile and inspect rule packs.", no_args_is_help=True)
app.add_typer(rules_app, name="rules")

out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}
SEVERITY_STYLE = {"error": "bold red", "warning": "yellow", "info": "cyan"}


class OutFormat(StrEnum):
    text = "text"
    json = "json"
    ndjson = "ndjson"


class FailOn(StrEnum):
    error = "error"
    warning = "warning"
    info = "info"
    never = "never"


class InputFormat(StrEnum):
    auto = "auto"
    json = "json"
    ndjson = "ndjson"
    x12 = "x12"
    fhir = "fhir"


RulesOpt = Annotated[list[Path] | None, typer.Option("--rules", "-r", help="Rule pack file or directory "
                                                    "(repeatable). Default: the shipped rules.")]
DataOpt = Annotated[Path | None, typer.Option("--data", help="Reference table store (default: $CLAIMSCRUB_DATA, "
                                               "else ~/.local/share/claimscrub).")]
AsOfOpt = Annotated[str | None, typer.Option("--as-of", help="Processing date YYYY-MM-DD for timely filing "
                                             "(default: today).")]
ParamOpt = Annotated[list[str] | None, typer.Option("--param", help="Set a rule parameter: name=value or "
                                                    "pack.name=value (repeatable).")]


def _fail(message: str, code: int = 2) -> typer.Exit:
    return fail(message, code)


def _as_of(value: str | None) -> date:
    return date_option(value, "--as-of")


def _params(values: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in values or []:
        if "=" not in item:
            raise _fail(f"--param {item!r}: write name=value")
        key, raw = item.split("=", 1)
        try:
            params[key.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            params[key.strip()] = raw
    return params


def _load(rules: list[Path] | None, params: dict[str, Any] | None = None):
    from claimscrub.api import load_ruleset
    from claimscrub.source import RuleSetError

    for p in rules or []:
        if not p.exists():
            raise _fail(f"rule path {p} does not exist")
    try:
        return load_ruleset(rules or None, params)
    except RuleSetError as exc:
        for d in exc.diagnostics:
            err.print(escape(d.render()))
        err.print(f"[bold red]{len(exc.diagnostics)} error(s) in the rule set[/]")
        raise typer.Exit(2) from None
    except KeyError as exc:
        raise _fail(str(exc.args[0])) from None


def _tables(data: Path | None) -> Any | None:
    """Open the table store if one exists; rules that need a missing table are skipped and reported."""
    try:
        from claimscrub.tables.store import default_data_dir, open_tables
    except ImportError:
        return None
    directory = data or default_data_dir()
    if data is not None and not data.exists():
        raise _fail(f"--data {data} does not exist (import tables with `claimscrub data import`)")
    return open_tables(directory)


def _sample_inputs() -> list[Path]:
    return [Path(str(resources.files("claimscrub.samples").joinpath("claims")))]


# ---- scrub ---------------------------------------------------------------------------------------------------------

@app.command()
def scrub(
    inputs: Annotated[list[Path] | None, typer.Argument(help="Claim files or directories (JSON, NDJSON, X12 837, "
                                                        "FHIR). Default: the embedded sample claims.")] = None,
    rules: RulesOpt = None,
    fmt: Annotated[OutFormat, typer.Option("--format", "-f", help="text for people, json/ndjson for machines.")]
    = OutFormat.text,
    as_of: AsOfOpt = None,
    fail_on: Annotated[FailOn, typer.Option("--fail-on", help="Exit 1 when a finding at or above this severity "
                                            "exists.")] = FailOn.error,
    input_format: Annotated[InputFormat, typer.Option("--input-format", help="Override format detection.")]
    = InputFormat.auto,
    data: DataOpt = None,
    param: ParamOpt = None,
    show_phi: Annotated[bool, typer.Option("--show-phi", help="Show birth dates and member ids in evidence.")]
    = False,
    output: Annotated[Path | None, typer.Option("--output", "-o", help="Write the report to a file.")] = None,
    payer: Annotated[str | None, typer.Option("--payer", help="Use this payer profile (id or payer id) for every "
                                              "claim instead of routing by the claim's payer id.")] = None,
    payers: Annotated[Path | None, typer.Option("--payers", help="Payer profile directory (default: shipped "
                                                "payers/; not used with --rules unless given).")] = None,
    jobs: Annotated[int, typer.Option("--jobs", "-j", help="Worker processes; output order is unchanged.")] = 1,
    validate_x12: Annotated[bool, typer.Option("--validate-x12", help="Also validate X12 inputs against the TR3 "
                                               "(WEDI SNIP 1-2, via pyx12).")] = False,
    log: Annotated[Path | None, typer.Option("--log", help="Append one JSON line per claim (time, claim id hash, "
                                             "rule set sha256, payer profile, rule ids; no PHI) to this file.")]
    = None,
) -> None:
    """Scrub claims and report findings with explanations."""
    paths = inputs or _sample_inputs()
    for p in paths:
        if not p.exists():
            raise _fail(f"input {p} does not exist")
    if jobs < 1:
        raise _fail("--jobs must be 1 or more")
    recipe = (rules, payers, payer, _params(param), data, _as_of(as_of), show_phi)
    scrubber = build_scrubber(*recipe)
    for rule_id, why in scrubber.engine.skipped.items():
        err.print(f"[yellow]note:[/] rule {rule_id} skipped: {escape(why)}")
    validation = _validate_x12(paths, input_format) if validate_x12 else {}
    stream = open(output, "w", encoding="utf-8") if output else sys.stdout  # noqa: SIM115
    worst = 1 if any(validation.values()) else -1
    results: list[dict[str, Any]] = []
    log_stream = open(log, "a", encoding="utf-8") if log else None  # noqa: SIM115
    log_header = scrubber.header() if log else {}
    written, interactive = 0, stream.isatty()
    try:
        # ndjson without a decision log: results are serialized where they are made (in the workers)
        encode = _ndjson_line if fmt is OutFormat.ndjson and log_stream is None else None
        for n, result in enumerate(_progress(_results(scrubber, paths, input_format.value, jobs, recipe, encode),
                                             fmt)):
            if n in (0, 256):  # compiled rules, then the tables the first claims loaded, live until the end:
                gc.freeze()    # keep them out of the collector's sweeps
            if isinstance(result, tuple):  # (NDJSON line, worst severity rank)
                line, rank = result
            else:
                if log_stream is not None:
                    from claimscrub.authoring.decision_log import write_decision

                    write_decision(log_stream, result, log_header)
                line, rank = _ndjson_line(result) if fmt is OutFormat.ndjson else (None, _worst(result))
                if line is None:
                    results.append(result)
            worst = max(worst, rank)
            if line is not None:
                stream.write(line)
                written += 1
                if interactive or written % 256 == 0:  # stream results without a system call per line
                    stream.flush()
        if fmt is OutFormat.json:
            report = scrubber.report(results)
            if validate_x12:
                report["x12_validation"] = validation
            stream.write(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
        elif fmt is OutFormat.text:
            console = Console(file=stream, highlight=False, soft_wrap=True) if output else out
            _print_text(console, scrubber, results)
    finally:
        if output:
            stream.close()
        if log_stream is not None:
            log_stream.close()
    if fail_on is not FailOn.never and worst >= SEVERITY_RANK[fail_on.value]:
        raise typer.Exit(1)
    if results and all(r["status"] == "error" for r in results):
        raise typer.Exit(2)


def build_scrubber(rules: list[Path] | None, payers: Path | None, payer: str | None, params: dict[str, Any],
                   data: Path | None, as_of: date, show_phi: bool) -> Any:
    """The scrubber for a scrub run; also the recipe each `--jobs` worker process rebuilds it from."""
    from claimscrub.api import Scrubber

    if rules and not (payer or payers):  # custom rule packs alone: no payer routing
        return Scrubber(_load(rules, params), _tables(data), as_of, show_phi)
    return _payer_scrubber(rules, payers, payer, params, _tables(data), as_of, show_phi)


def _worst(result: dict[str, Any]) -> int:
    return max((SEVERITY_RANK[f["severity"]] for f in result["findings"]), default=-1)


def _ndjson_line(result: dict[str, Any]) -> tuple[str, int]:
    """One result as its NDJSON line and worst severity rank: what `--jobs` workers send back for ndjson."""
    return json.dumps(result, sort_keys=False, ensure_ascii=False) + "\n", _worst(result)


def _results(scrubber: Any, paths: list[Path], input_format: str, jobs: int,
             recipe: tuple[Any, ...], encode: Any = None) -> Any:
    from itertools import chain

    from claimscrub.api import input_items

    items = chain.from_iterable(input_items(p, input_format, defer=jobs > 1) for p in paths)
    if jobs == 1:
        results = scrubber.scrub_items(items)
        return results if encode is None else map(encode, results)
    from claimscrub.parallel import scrub_parallel

    return scrub_parallel(items, jobs, build_scrubber, recipe, prebuilt=scrubber, encode=encode)


def _progress(results: Any, fmt: OutFormat) -> Any:
    """A live claim count on stderr when it is a terminal; silent in pipes and CI."""
    if not err.is_terminal:
        yield from results
        return
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.completed} claims scrubbed"), TimeElapsedColumn(),
                  console=err, transient=True) as bar:
        task = bar.add_task("scrub", total=None)
        for r in results:
            bar.advance(task)
            yield r


def _validate_x12(paths: list[Path], input_format: InputFormat) -> dict[str, list[dict[str, str]]]:
    """TR3 (WEDI SNIP 1-2) validation of each X12 input through pyx12; problems go to stderr and the report."""
    from claimscrub.inputs import detect_format, expand_paths
    from claimscrub.inputs.x12_validate import validate_x12

    found: dict[str, list[dict[str, str]]] = {}
    for f in expand_paths(paths):
        head = f.read_bytes()[:8192].decode("latin-1")
        if input_format is not InputFormat.x12 and detect_format(head) != "x12":
            continue
        try:
            problems = validate_x12(f)
        except ImportError as exc:
            raise _fail(str(exc)) from None
        found[str(f)] = [p.as_dict() for p in problems]
        for p in problems:
            err.print(f"[yellow]x12:[/] {escape(p.location)}: {escape(p.message)}")
    return found


def _payer_scrubber(rules: list[Path] | None, payers: Path | None, payer: str | None, params: dict[str, Any],
                    tables: Any, as_of: date, show_phi: bool) -> Any:
    """Route claims to payer profiles; profile or rule errors are reported like rule-set errors (exit 2)."""
    from claimscrub.payer_profiles import PayerScrubber, load_registry
    from claimscrub.source import RuleSetError

    for p in [*(rules or []), *([payers] if payers else [])]:
        if not p.exists():
            raise _fail(f"{p} does not exist")
    try:
        return PayerScrubber(load_registry(payers, rules), tables, as_of, show_phi, payer, params)
    except RuleSetError as exc:
        for d in exc.diagnostics:
            err.print(escape(d.render()))
        err.print(f"[bold red]{len(exc.diagnostics)} error(s) in the rule set or payer profiles[/] "
                  "(claimscrub payers check)")
        raise typer.Exit(2) from None
    except KeyError as exc:
        raise _fail(str(exc.args[0])) from None


def _print_text(console: Console, scrubber: Any, results: list[dict[str, Any]]) -> None:
    from claimscrub.api import summarize

    rs = scrubber.ruleset
    console.print(f"[dim]claimscrub {__version__} · rule set {rs.name} {rs.version} · "
                  f"sha256 {rs.sha256[:12]} · as of {scrubber.as_of}[/]")
    for r in results:
        where = r["source"].get("file", "")
        if "index" in r["source"]:
            where += f"#{r['source']['index']}"
        if "segment" in r["source"]:
            where += f" segment {r['source']['segment']}"
        cid = r["claim_id"] or "(no claim id)"
        if r.get("payer_profile") and r["payer_profile"].get("id"):
            pp = r["payer_profile"]
            where += f" payer {pp['id']}@{pp['version']} ({pp['routed_by']})"
        if r["status"] == "error":
            console.print(f"[bold red]✗[/] claim {escape(cid)} [dim]{escape(where)}[/]: [red]{escape(r['error']['message'])}[/]"
                          f" [dim]at {escape(r['error']['location'])}[/]")
            continue
        if r["status"] == "clean":
            console.print(f"[green]✓[/] claim {escape(cid)} [dim]{escape(where)}[/]: clean")
            continue
        n = len(r["findings"])
        console.print(f"[bold]●[/] claim {escape(cid)} [dim]{escape(where)}[/]: {n} finding{'s' if n != 1 else ''}")
        for f in r["findings"]:
            sev = f["severity"]
            lines = ("line " + ",".join(map(str, f["lines"]))) if f["lines"] else "claim"
            denial = ""
            if f.get("denial"):
                d = f["denial"]
                denial = f" [dim]({d['group']}-{d['carc']}{' ' + ' '.join(d['rarc']) if d['rarc'] else ''})[/]"
            console.print(f"    [{SEVERITY_STYLE[sev]}]{sev.upper():7}[/] {f['rule_id']:<26} {lines:<9} "
                          f"{escape(f['message'])}{denial}")
            if f.get("fix"):
                console.print(f"    {'':7} {'':26} {'':9} [dim]fix:[/] {escape(f['fix'])}")
    s = summarize(results)
    console.print(f"[bold]{s['claims']} claims[/]: {s['clean']} clean, {s['with_findings']} with findings, "
                  f"{s['errors']} errors; {s['findings']} findings "
                  + (f"({', '.join(f'{k} {v}' for k, v in s['by_severity'].items())})" if s["findings"] else ""))


# ---- explain -------------------------------------------------------------------------------------------------------

@app.command()
def explain(
    claim_file: Annotated[Path, typer.Argument(help="A file with the claim (JSON, NDJSON, X12 or FHIR).")],
    rule: Annotated[str, typer.Option("--rule", help="The rule id to explain.")],
    claim_id: Annotated[str | None, typer.Option("--claim-id", help="Which claim of the file (default: the "
                                                 "first).")] = None,
    rules: RulesOpt = None,
    as_of: AsOfOpt = None,
    data: DataOpt = None,
    param: ParamOpt = None,
    show_phi: Annotated[bool, typer.Option("--show-phi")] = False,
    payer: Annotated[str | None, typer.Option("--payer", help="Explain the rule as this payer profile runs it "
                                              "(default: routed by the claim's payer id, as scrub does).")] = None,
    payers: Annotated[Path | None, typer.Option("--payers", help="Payer profile directory (default: shipped "
                                                "payers/; not used with --rules unless given).")] = None,
) -> None:
    """Print the whole evaluation trace of one rule on one claim, including why it did not fire."""
    from claimscrub.explain_cli import explain_rule
    from claimscrub.inputs import InputFileError, read_path

    if not claim_file.exists():
        raise _fail(f"{claim_file} does not exist")
    try:
        items = list(read_path(claim_file))
    except InputFileError as exc:
        raise _fail(f"{exc.location}: {exc.message}") from None
    item = next((i for i in items if claim_id is None or i.claim_id == claim_id), None)
    if item is None:
        raise _fail(f"no claim {claim_id!r} in {claim_file}")
    if item.claim is None:
        assert item.error is not None
        raise _fail(f"the claim cannot be read: {item.error.message} at {item.error.location}")
    params, processing = _params(param), _as_of(as_of)
    if rules and not (payer or payers):  # custom rule packs alone, as scrub runs them
        ruleset, tables, routed = _load(rules, params), _tables(data), None
    else:  # the rule set the claim's payer profile runs: overrides, parameters and custom rules included
        res, scrubber, how, payer_id = _payer_scrubber(rules, payers, payer, params, _tables(data), processing,
                                                      show_phi).route(item.claim)
        ruleset, tables = scrubber.ruleset, scrubber.tables
        routed = (f"payer profile {res.label} (routed by {how}"
                  + (f"; payer id {payer_id} has no profile" if how == "default" else "") + ")"
                  if res is not None else "base rule packs (no payer profiles)")
    if ruleset.rule(rule) is None:
        import difflib

        close = difflib.get_close_matches(rule, [r.id for r in ruleset.rules], n=3)
        where = f"the rule set of {routed}" if routed else "the rule set"
        raise _fail(f"no rule {rule!r} in {where}" + (f"; did you mean {', '.join(close)}?" if close else ""))
    text = explain_rule(ruleset, tables, item.claim, rule, processing, show_phi)
    if routed:
        out.print(escape(routed))
    out.print(escape(text))


# ---- rules ---------------------------------------------------------------------------------------------------------

@rules_app.command("check")
def rules_check(
    paths: Annotated[list[Path] | None, typer.Argument(help="Rule files or directories (default: shipped "
                                                       "rules).")] = None,
    fmt: Annotated[OutFormat, typer.Option("--format", "-f")] = OutFormat.text,
) -> None:
    """Check rule packs: YAML, schema, names, types, tables; every error at once with file:line:col."""
    from claimscrub.api import check_files, default_rules_path

    targets = paths or [default_rules_path()]
    for p in targets:
        if not p.exists():
            raise _fail(f"{p} does not exist")
    packs, diags = check_files(targets)
    errors = [d for d in diags if d.severity == "error"]
    if fmt is not OutFormat.text:
        doc = {"packs": [{"name": p.name, "version": p.version, "file": p.path, "rules": len(p.rules)}
                         for p in packs], "diagnostics": [d.as_dict() for d in diags], "errors": len(errors)}
        out.print_json(json.dumps(doc)) if sys.stdout.isatty() else print(json.dumps(doc, indent=2))
    else:
        for d in diags:
            err.print(escape(d.render()))
        n_rules = sum(len(p.rules) for p in packs)
        if errors:
            err.print(f"[bold red]{len(errors)} error(s)[/] in {len(packs)} pack(s)")
        else:
            out.print(f"[green]ok[/]: {len(packs)} pack(s), {n_rules} rules, no errors")
    if errors:
        raise typer.Exit(2)


@rules_app.command("compile")
def rules_compile(
    paths: Annotated[list[Path] | None, typer.Argument(help="Rule files or directories.")] = None,
    show: Annotated[bool, typer.Option("--show", help="Print the generated Python source.")] = False,
    data: DataOpt = None,
) -> None:
    """Compile rules to Python and report the index; --show prints exactly the code that runs."""
    from claimscrub.evaluator import Engine

    ruleset = _load(paths)
    engine = Engine(ruleset, _tables(data))
    if show:  # the rule functions, then the dispatcher that calls keyed ones and inlines unkeyed ones
        print(engine.source)
        print(engine.dispatch_source)
        return
    keyed = sum(1 for k in engine.keys if k is not None)
    lines = len(engine.source.splitlines()) + len(engine.dispatch_source.splitlines())
    out.print(f"{len(engine.rules)} rules compiled ({lines} lines of Python); "
              f"{keyed} indexed by code or modifier, {len(engine.rules) - keyed} run on every claim (inlined)")
    for rule, key in zip(engine.rules, engine.keys, strict=True):
        out.print(f"  {rule.id:<22} {rule.scope:<9} {escape(key.describe()) if key else '[dim]unkeyed[/]'}")
    for rule_id, why in engine.skipped.items():
        out.print(f"  [yellow]{rule_id} skipped: {escape(why)}[/]")


@rules_app.command("test")
def rules_test(
    paths: Annotated[list[Path] | None, typer.Argument(help="Rule files or directories.")] = None,
    rule: Annotated[list[str] | None, typer.Option("--rule", help="Only these rule ids.")] = None,
) -> None:
    """Run every rule's embedded examples (fires / passes)."""
    from claimscrub.examples import run_examples

    ruleset = _load(paths)
    results = run_examples(ruleset, set(rule) if rule else None)
    failed = [r for r in results if not r.ok]
    for r in results:
        mark = "[green]PASS[/]" if r.ok else "[bold red]FAIL[/]"
        if not r.ok or os.environ.get("CLAIMSCRUB_VERBOSE"):
            out.print(f"{mark} {escape(r.name)} [dim]{escape(r.location)}[/]: {escape(r.detail)}")
    out.print(f"{len(results) - len(failed)} passed, {len(failed)} failed")
    without = [r.id for r in ruleset.rules if not r.examples]
    if without:
        out.print(f"[yellow]rules without examples:[/] {', '.join(without)}")
    if failed:
        raise typer.Exit(1)


# ---- schema --------------------------------------------------------------------------------------------------------

class SchemaName(StrEnum):
    claim = "claim"
    rules = "rules"
    payer = "payer"


@app.command()
def schema(name: Annotated[SchemaName, typer.Argument(help="claim, rules or payer")]) -> None:
    """Print a JSON Schema: the claim input model, the rule file format or the payer profile format (editors)."""
    if name is SchemaName.claim:
        from claimscrub.model import claim_json_schema

        print(json.dumps(claim_json_schema(), indent=2))
    else:
        from claimscrub.loader import load_schema

        print(json.dumps(load_schema(name.value), indent=2))


@app.command()
def version() -> None:
    """Print the engine version."""
    print(__version__)


def _mount_optional() -> None:
    try:
        from claimscrub.cli.authoring_cmd import register as register_authoring
    except ImportError:
        pass
    else:
        register_authoring(app, rules_app)  # test, impact; rules lint/fmt/doc/diff
    try:
        from claimscrub.cli.payers_cmd import app as payers_app
    except ImportError:
        pass
    else:
        app.add_typer(payers_app, name="payers", help="List, show and check payer profiles.")
    try:
        from claimscrub.cli.serve_cmd import register as register_serve
    except ImportError:
        pass
    else:
        register_serve(app)  # serve: the HTTP API (needs the `server` extra at run time)
    try:
        from claimscrub.cli.data_cmd import app as data_app
    except ImportError:
        return
    app.add_typer(data_app, name="data", help="Import and list reference tables (NCCI, MUE, ICD-10-CM, MCE, CSV).")


_mount_optional()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
