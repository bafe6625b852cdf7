"""Helpers every command shares: one way to fail with exit 2 and one way to read a date option."""

from __future__ import annotations

from datetime import date

import typer
from rich.console import Console
from rich.markup import escape

err = Console(stderr=True, highlight=False, soft_wrap=True)


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print an error and return the Exit to raise (usage and input errors exit 2)."""
    err.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(code)


def date_option(value: str | None, flag: str) -> date:
    """A YYYY-MM-DD option, today when absent."""
    if not value:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{flag} {value!r} is not a date: write YYYY-MM-DD") from None
