"""`claimscrub rules doc` and `claimscrub rules fmt` on purpose-made packs."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from claimscrub.authoring.fmt import FormatError, format_text
from claimscrub.cli.main import app
from typer.testing import CliRunner

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_doc_writes_markdown_and_html(tmp_path: Path) -> None:
    res = runner.invoke(app, ["rules", "doc", str(DATA / "good"), "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    md = (tmp_path / "rules.md").read_text()
    assert "### MOD-59-X" in md and "### UNITS-HIGH" in md
    assert '```\nline has modifier "59"\nand line has any modifier in X_MODS\n```' in md
    assert "| error | line | always | test.good 1 | CO-4 |" in md
    assert "- fix: Drop 59 on line {line.number}" in md
    assert '- example fires: {"lines": [{"code": "97140", "modifiers": ["59", "XS"]}]} {"lines": [1]}' in md
    page = (tmp_path / "index.html").read_text()
    assert page.count("<section") == 2 and "<script" not in page
    assert 'id="MOD-59-X"' in page and "line has modifier &quot;59&quot;" in page


def test_doc_for_a_payer(tmp_path: Path) -> None:
    res = runner.invoke(app, ["rules", "doc", "--out", str(tmp_path), "--payer", "medicare-part-b",
                              "--on", "2026-03-01"])
    assert res.exit_code == 0, res.output
    assert "(medicare-part-b)" in (tmp_path / "rules.md").read_text()


def test_fmt_reorders_and_keeps_comments(tmp_path: Path) -> None:
    messy = tmp_path / "messy.yaml"
    shutil.copy(DATA / "fmt" / "messy.yaml", messy)
    res = runner.invoke(app, ["rules", "fmt", str(messy), "--check"])
    assert res.exit_code == 1 and "would reformat" in res.output
    res = runner.invoke(app, ["rules", "fmt", str(messy)])
    assert res.exit_code == 0
    assert messy.read_text() == (DATA / "fmt" / "expected.yaml").read_text()
    res = runner.invoke(app, ["rules", "fmt", str(messy), "--check"])
    assert res.exit_code == 0 and "0 file(s) would change" in res.output


def test_fmt_is_idempotent_and_preserves_data() -> None:
    text = (DATA / "fmt" / "messy.yaml").read_text()
    once = format_text(text)
    assert format_text(once) == once
    assert yaml.safe_load(once) == yaml.safe_load(text)


def test_fmt_refuses_broken_yaml() -> None:
    with pytest.raises(FormatError):
        format_text("rules:\n  - id: [unclosed\n")


def test_shipped_packs_are_formatted() -> None:
    res = runner.invoke(app, ["rules", "fmt", "--check"])
    assert res.exit_code == 0, res.output
