"""`claimscrub serve`: the HTTP API under uvicorn (see docs/server.md).

The rule set is loaded here first, so a broken rule set exits 2 with every diagnostic before a port opens.
Workers are processes started from an import string; settings travel to them in the environment, and with
several workers a token file lets one reload (admin API or SIGHUP) reach all of them.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, highlight=False, soft_wrap=True)


def serve(
    host: Annotated[str, typer.Option("--host", help="Bind address (keep loopback unless behind a proxy).")]
    = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 8080,
    workers: Annotated[int, typer.Option("--workers", help="Worker processes.")] = 1,
    rules: Annotated[list[Path] | None, typer.Option("--rules", "-r", help="Rule pack file or directory "
                                                     "(repeatable). Default: the shipped rules.")] = None,
    payers: Annotated[Path | None, typer.Option("--payers", help="Payer profile directory (default: shipped "
                                                "payers/; not used with --rules unless given).")] = None,
    data: Annotated[Path | None, typer.Option("--data", help="Reference table store.")] = None,
    api_key_file: Annotated[Path | None, typer.Option("--api-key-file", help="API keys, one per line; "
                                                      "without it the API is open.")] = None,
    admin_key_file: Annotated[Path | None, typer.Option("--admin-key-file", help="Admin keys for POST "
                                                        "/v1/admin/reload; without it that endpoint is off.")] = None,
    max_body: Annotated[int, typer.Option("--max-body", help="Largest request body in bytes (413 above).")]
    = 10 * 1024 * 1024,
    max_claims: Annotated[int, typer.Option("--max-claims", help="Most claims per request (413 above).")] = 1000,
    log_level: Annotated[str, typer.Option("--log-level", help="uvicorn log level.")] = "info",
) -> None:
    """Serve the scrubber over HTTP: POST /v1/scrub, /v1/explain, GET /v1/rules, /v1/payers, /metrics."""
    import uvicorn
    from claimscrub.server.app import LOG_LEVEL_ENV
    from claimscrub.server.settings import ENV_VAR, Settings, read_keys
    from claimscrub.server.state import build_snapshot, publish_token
    from claimscrub.source import RuleSetError
    from uvicorn.supervisors import Multiprocess

    if workers < 1 or max_body < 1 or max_claims < 1:
        err.print("[bold red]error:[/] --workers, --max-body and --max-claims must be 1 or more")
        raise typer.Exit(2)
    for f in (api_key_file, admin_key_file):
        if f is not None:
            try:
                if not read_keys(str(f)):
                    err.print(f"[bold red]error:[/] {escape(str(f))} holds no key")
                    raise typer.Exit(2)
            except OSError as exc:
                err.print(f"[bold red]error:[/] cannot read {escape(str(f))}: {exc.strerror}")
                raise typer.Exit(2) from None
    sync_dir = tempfile.mkdtemp(prefix="claimscrub-serve-") if workers > 1 else None
    settings = Settings(host, port, workers, [str(p) for p in rules or []], str(payers) if payers else None,
                        str(data) if data else None, str(api_key_file) if api_key_file else None,
                        str(admin_key_file) if admin_key_file else None, max_body, max_claims,
                        str(Path(sync_dir) / "reload") if sync_dir else None)
    try:
        snap = build_snapshot(settings, 1)
    except RuleSetError as exc:
        for d in exc.diagnostics:
            err.print(escape(d.render()))
        err.print(f"[bold red]{len(exc.diagnostics)} error(s) in the rule set or payer profiles[/]")
        raise typer.Exit(2) from None
    err.print(f"claimscrub serve: rule set sha256 {snap.primary_sha()[:12]} · "
              f"{'payer routing on' if snap.registry is not None else 'no payer routing'} · "
              f"http://{host}:{port} · {workers} worker(s)" + ("" if api_key_file else " · [yellow]no API key[/]"))
    os.environ[ENV_VAR] = settings.to_env()
    os.environ[LOG_LEVEL_ENV] = log_level.upper()
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # access_log off: uvicorn's access line carries the query string; ours logs the route template only.
    config = uvicorn.Config("claimscrub.server.app:create_app_from_env", factory=True, host=host, port=port,
                            workers=workers, access_log=False, log_level=log_level, server_header=False)
    if workers == 1:
        uvicorn.Server(config).run()
        return

    class Supervisor(Multiprocess):
        """SIGHUP reloads the rule set in every worker (instead of uvicorn's restart of all processes)."""

        def handle_hup(self) -> None:
            assert settings.sync_file is not None
            publish_token(settings.sync_file)

    sock = config.bind_socket()
    try:
        Supervisor(config, sockets=[sock]).run()
    finally:
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
        shutil.rmtree(sync_dir or "", ignore_errors=True)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
