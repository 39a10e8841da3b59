"""``hotline serve``: the whole embedded hotline in one process group.

The API and web console run in this process (uvicorn, on a thread); the SIP agent
and the worker run as child processes (``hotline agent``, ``hotline worker``),
because each owns a heavy runtime of its own (PJSIP's endpoint thread, Whisper)
and must be restartable alone. Children get the same configuration through the
environment. A child that dies is restarted with back-off; SIGINT/SIGTERM stops
the API and sends SIGTERM to the children, which finish their calls and jobs
and are waited for. In production each part runs on its own (``hotline api``,
``hotline agent``, ``hotline worker``) with the same configuration.
"""
from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import typer

from hotline.api.app import build_server
from hotline.cli import common
from hotline.cli.common import CliError
from hotline.config import Settings
from hotline.demo.probe import probe_agent
from hotline.logging import configure_logging
from hotline.users import CREDENTIALS_FILE, ensure_first_admin

log = logging.getLogger(__name__)

API_START_SECONDS = 30.0
AGENT_START_SECONDS = 120.0  # imports, migration check and PJSIP start on a loaded machine
STOP_GRACE_SECONDS = 90.0  # the worker finishes the job in hand first
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
HEALTHY_AFTER_SECONDS = 60.0  # a child that ran this long starts again with the shortest back-off
PR_SET_PDEATHSIG = 1
WILDCARD_HOSTS = {"0.0.0.0": "127.0.0.1", "::": "::1"}


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)


def serve(
    host: str | None = typer.Option(None, "--host", help="API and console address (default: HOTLINE_HOST)"),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="API port (default: HOTLINE_PORT)"),
    sip_host: str | None = typer.Option(None, "--sip-host", help="SIP agent address (default: HOTLINE_SIP_HOST)"),
    sip_port: int | None = typer.Option(None, "--sip-port", min=1, max=65535,
                                        help="SIP agent port (default: HOTLINE_SIP_PORT)"),
) -> None:
    """Start the API and web console, the SIP agent and the worker; Ctrl-C stops them all."""
    overrides = {k: v for k, v in {"host": host, "port": port, "sip_host": sip_host, "sip_port": sip_port}.items()
                 if v is not None}
    config = common.settings().model_copy(update=overrides)
    credentials = ensure_first_admin(common.database(), config)  # migrated once, before any child starts
    configure_logging(config)

    stop = threading.Event()
    _stop_on_signals(stop)
    server = build_server(config, config.host, config.port)
    api = threading.Thread(target=server.run, name="api", daemon=True)
    api.start()
    children = _Children(_child_environment(config))
    try:
        if not _wait_until(lambda: server.started, lambda: not api.is_alive(), API_START_SECONDS):
            raise CliError(f"cannot serve the API on {config.host}:{config.port} (see the message above)")
        children.start("worker", ["worker"])
        agent = children.start("agent", ["agent"])
        sip = (WILDCARD_HOSTS.get(config.sip_host, config.sip_host), config.sip_port)
        if not _wait_until(lambda: probe_agent(*sip, timeout=0.5) is not None,
                           lambda: agent.process.poll() is not None or stop.is_set(), AGENT_START_SECONDS):
            if not stop.is_set():
                raise CliError(f"the SIP agent did not start on {config.sip_host}:{config.sip_port} "
                               "(see the message above)")
        else:
            _print_banner(config, credentials)
        while not stop.wait(0.5):
            if not api.is_alive():
                raise CliError("the API stopped unexpectedly (see the log above)")
            children.restart_dead()
    finally:
        typer.echo("stopping: API, SIP agent (active calls are hung up and kept), worker", err=True)
        server.should_exit = True
        children.stop(STOP_GRACE_SECONDS)
        api.join(10.0)


def _print_banner(config: Settings, credentials: tuple[str, str] | None) -> None:
    web_host = WILDCARD_HOSTS.get(config.host, config.host)
    sip_host = config.sip_public_host or WILDCARD_HOSTS.get(config.sip_host, config.sip_host)
    credentials_file = config.home / CREDENTIALS_FILE
    lines = [
        "社区投诉热线 is running",
        f"  web console   http://{_url_host(web_host)}:{config.port}/   (API docs: /docs)",
        f"  phone line    sip:hotline@{_url_host(sip_host)}:{config.sip_port}   (try: hotline demo-call)",
        f"  data          {config.home}",
    ]
    if credentials:
        lines.append(f"  first admin   {credentials[0]} / {credentials[1]}   "
                     f"(saved in {credentials_file}, readable only by you)")
    elif credentials_file.exists():
        lines.append(f"  admin login   see {credentials_file}")
    lines.append("Press Ctrl-C to stop.")
    typer.echo("\n".join(lines))


@dataclass
class _Child:
    name: str
    arguments: list[str]
    process: subprocess.Popen[bytes]
    started_at: float
    failures: int = 0
    restart_at: float | None = None


@dataclass
class _Children:
    """The agent and worker processes: started, restarted with back-off, stopped together."""

    environment: dict[str, str]
    running: dict[str, _Child] = field(default_factory=dict)

    def start(self, name: str, arguments: list[str]) -> _Child:
        child = _Child(name, arguments, self._spawn(arguments), time.monotonic())
        self.running[name] = child
        log.info("started", extra={"child": name, "pid": child.process.pid})
        return child

    def restart_dead(self) -> None:
        now = time.monotonic()
        for child in self.running.values():
            if child.restart_at is None:
                code = child.process.poll()
                if code is None:
                    continue
                if now - child.started_at >= HEALTHY_AFTER_SECONDS:
                    child.failures = 0
                delay = min(MAX_BACKOFF_SECONDS, FIRST_BACKOFF_SECONDS * 2**child.failures)
                child.failures += 1
                child.restart_at = now + delay
                log.error("child exited; restarting", extra={"child": child.name, "exit_code": code,
                                                             "restart_in_seconds": delay})
            elif now >= child.restart_at:
                child.process = self._spawn(child.arguments)
                child.started_at, child.restart_at = now, None
                log.info("restarted", extra={"child": child.name, "pid": child.process.pid})

    def stop(self, grace: float) -> None:
        """SIGTERM to every child, then wait; SIGKILL only after ``grace`` seconds."""
        alive = [c.process for c in self.running.values() if c.process.poll() is None]
        for process in alive:
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + grace
        for process in alive:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("child did not stop in time; killing it", extra={"pid": process.pid})
                process.kill()
                process.wait()

    def _spawn(self, arguments: list[str]) -> subprocess.Popen[bytes]:
        command = [sys.executable, "-c", "from hotline.cli.main import main; main()", *arguments]
        # preexec_fn only makes one prctl call in the child: nothing there can wait on another thread's lock.
        return subprocess.Popen(command, env=self.environment, preexec_fn=_die_with_parent())  # noqa: PLW1509


def _child_environment(config: Settings) -> dict[str, str]:
    """This process's environment plus the settings chosen on the command line."""
    return {
        **os.environ,
        "HOTLINE_HOME": str(config.home),
        "HOTLINE_HOST": config.host,
        "HOTLINE_PORT": str(config.port),
        "HOTLINE_SIP_HOST": config.sip_host,
        "HOTLINE_SIP_PORT": str(config.sip_port),
    }


def _die_with_parent() -> Callable[[], None] | None:
    """On Linux, a child gets SIGTERM if ``hotline serve`` itself is killed (no orphaned agent)."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    return lambda: libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _stop_on_signals(stop: threading.Event) -> None:
    def request_stop(signum: int, _frame: object) -> None:
        log.info("stop requested", extra={"signal": signal.Signals(signum).name})
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


def _wait_until(done: Callable[[], bool], failed: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not done():
        if failed() or time.monotonic() >= deadline:
            return False
        time.sleep(0.1)
    return True


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
