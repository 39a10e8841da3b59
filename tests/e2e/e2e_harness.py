"""The whole hotline as a user starts it: ``hotline serve`` in a subprocess, on free ports.

Callers are SIPp (the SIP tests' harness, ``tests/sip/sip_harness.py``, shared
rather than copied) or ``hotline demo-call``. Alerts go to a webhook served by
the test on 127.0.0.1.
"""
from __future__ import annotations

import importlib.util
import json
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from hotline.config import Settings

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-c", "from hotline.cli.main import main; main()"]
START_TIMEOUT = 120.0  # import, migrate, start PJSIP on a loaded machine
STOP_TIMEOUT = 120.0


def _load_sip_harness():  # type: ignore[no-untyped-def]
    if "sip_harness" in sys.modules:  # the SIP tests imported it already
        return sys.modules["sip_harness"]
    spec = importlib.util.spec_from_file_location("sip_harness", REPO / "tests" / "sip" / "sip_harness.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["sip_harness"] = module
    spec.loader.exec_module(module)
    return module


sip_harness = _load_sip_harness()


@dataclass
class Webhook:
    """Receives the alert POSTs of the instance under test."""

    url: str
    received: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def serve_webhook() -> Iterator[Webhook]:
    hook = Webhook("")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            hook.received.append(json.loads(body))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/alerts"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Hotline:
    """A running ``hotline serve``: its addresses, output and the first admin's login."""

    process: subprocess.Popen[str]
    settings: Settings
    api_url: str
    sip: tuple[str, int]
    env: dict[str, str]
    stderr_path: Path
    stdout: list[str] = field(default_factory=list)

    @classmethod
    def start(cls, settings: Settings, env: dict[str, str], workdir: Path) -> Hotline:
        port, sip_port = sip_harness.free_port(), sip_harness.free_port()
        stderr_path = workdir / "serve.stderr"
        process = subprocess.Popen(
            [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port),
             "--sip-host", "127.0.0.1", "--sip-port", str(sip_port)],
            cwd=workdir, env=env, text=True, stdout=subprocess.PIPE, stderr=stderr_path.open("w"),
            stdin=subprocess.DEVNULL,
        )
        hotline = cls(process, settings, f"http://127.0.0.1:{port}", ("127.0.0.1", sip_port), env, stderr_path)
        threading.Thread(target=hotline._collect, daemon=True).start()
        sip_harness.wait_for(lambda: hotline.ready or process.poll() is not None, START_TIMEOUT,
                             message="hotline serve to start")
        if not hotline.ready:
            hotline.kill()
            raise AssertionError(f"hotline serve did not start:\n{stderr_path.read_text()[-3000:]}")
        return hotline

    @property
    def banner(self) -> str:
        return "".join(self.stdout)

    @property
    def ready(self) -> bool:
        return "Press Ctrl-C to stop" in self.banner

    def admin_login(self) -> tuple[str, str]:
        text = (self.settings.home / "admin-credentials.txt").read_text()
        found = dict(re.findall(r"^(username|password): (\S+)$", text, re.MULTILINE))
        return found["username"], found["password"]

    def token(self, username: str, password: str) -> str:
        response = httpx.post(f"{self.api_url}/auth/token", data={"username": username, "password": password})
        response.raise_for_status()
        return response.json()["access_token"]

    def child_pids(self, name: str | None = None) -> list[int]:
        """Process ids of the children (``agent``, ``worker``) serve started so far, from its log."""
        entries = [json.loads(line) for line in self.stderr_path.read_text().splitlines()
                   if '"logger": "hotline.cli.serve"' in line and '"pid"' in line]
        return [entry["pid"] for entry in entries if name in (None, entry["child"])]

    def cli(self, *arguments: str, timeout: float = 300.0) -> subprocess.CompletedProcess[str]:
        """Another ``hotline`` command against this instance (same configuration)."""
        return subprocess.run([*CLI, *arguments], env=self.env, capture_output=True, text=True, check=False, timeout=timeout)

    def stop(self) -> int:
        """SIGTERM, as a service manager would (Ctrl-C sends SIGINT, handled alike); the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(STOP_TIMEOUT)

    def kill(self) -> None:
        """Its agent and worker get SIGTERM with it (PDEATHSIG)."""
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(30)

    def _collect(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.stdout.append(line)
