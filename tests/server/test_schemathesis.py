"""Property-based run of the OpenAPI document against the real server: no request may get a 5xx.
Skipped when schemathesis (`st`) is not installed."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from .conftest import API_KEY, Server


@pytest.mark.skipif(shutil.which("st") is None, reason="schemathesis is not installed")
def test_no_server_errors(server: Server) -> None:
    cmd = ["st", "run", server.url + "/openapi.json", "--checks", "not_a_server_error", "--max-examples", "15",
           "--phases", "fuzzing", "-H", f"Authorization: Bearer {API_KEY}", "--request-timeout", "10",
           "--no-color", "--seed", "1"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
