"""Start the real `claimscrub serve` (uvicorn, one worker) on a free loopback port, with API and admin keys,
small limits, and a private copy of the shipped rules and payer profiles that the reload tests may edit."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import httpx
import pytest

API_KEY = "test-api-key-0123456789"
ADMIN_KEY = "test-admin-key-9876543210"
MAX_BODY = 64 * 1024
MAX_CLAIMS = 50


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    url: str
    proc: subprocess.Popen[bytes]
    rules: Path
    log: Path

    def client(self, key: str | None = API_KEY, **kw: object) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=20, **kw)  # type: ignore[arg-type]

    def logs(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


def start_server(tmp: Path, *extra: str) -> Server:
    rules = tmp / "rules"
    payers = tmp / "payers"
    shutil.copytree(str(resources.files("claimscrub.rules")), rules, ignore=shutil.ignore_patterns("__*"))
    shutil.copytree(str(resources.files("claimscrub.payers")), payers, ignore=shutil.ignore_patterns("__*"))
    (tmp / "api.keys").write_text(f"# comment\n{API_KEY}\nsecond-key\n")
    (tmp / "admin.keys").write_text(f"{ADMIN_KEY}\n")
    port = free_port()
    log = tmp / "server.log"
    env = {**os.environ, "CLAIMSCRUB_DATA": str(tmp / "no-tables")}
    cmd = [sys.executable, "-m", "claimscrub.cli.main", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--rules", str(rules), "--payers", str(payers), "--api-key-file", str(tmp / "api.keys"),
           "--admin-key-file", str(tmp / "admin.keys"), "--max-body", str(MAX_BODY),
           "--max-claims", str(MAX_CLAIMS), *extra]
    with open(log, "wb") as fh:
        proc = subprocess.Popen(cmd, stdout=fh, stderr=subprocess.STDOUT, env=env, cwd=tmp)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited {proc.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                return Server(url, proc, rules, log)
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"server did not become ready:\n{log.read_text()}")


def stop_server(server: Server) -> None:
    server.proc.send_signal(signal.SIGTERM)
    try:
        server.proc.wait(10)
    except subprocess.TimeoutExpired:
        server.proc.kill()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    s = start_server(tmp_path_factory.mktemp("serve"))
    yield s
    stop_server(s)
