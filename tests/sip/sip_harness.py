"""Real SIP peers for the agent's tests: the agent as a subprocess, SIPp as the caller.

Everything runs on loopback addresses with ports picked free for each test.
SIPp plays the caller's RTP from a pcap made by ``scripts/make_rtp_pcap.py``
(needs root or CAP_NET_RAW, which CI has).
"""
from __future__ import annotations

import importlib.util
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select

from hotline.config import Settings
from storage.db import Database
from storage.models import Call

REPO = Path(__file__).resolve().parents[2]
SCENARIOS = Path(__file__).parent / "scenarios"
SPEECH_DIR = REPO.parent / "shared" / "eval" / "audio-dev"
START_TIMEOUT = 90.0  # a loaded CI machine imports, migrates and starts PJSIP slowly


def load_pcap_tool():  # type: ignore[no-untyped-def]
    """``scripts/make_rtp_pcap.py`` as a module (for its G.711 codecs and constants)."""
    spec = importlib.util.spec_from_file_location("make_rtp_pcap", REPO / "scripts" / "make_rtp_pcap.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


pcap_tool = load_pcap_tool()


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on ``host``."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind((host, 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind((host, port))
                except OSError:
                    continue
                return port
    raise RuntimeError("no free port")


def wait_for(condition, timeout: float, interval: float = 0.2, message: str = "condition"):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message}")


class AgentProcess:
    """``hotline agent`` in a subprocess, with the test's HOTLINE_* environment."""

    def __init__(self, workdir: Path, host: str, port: int, env: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.workdir = workdir
        self.env = {**os.environ, **env}
        self.stdout: list[str] = []
        self.process: subprocess.Popen[str] | None = None
        self.runs = 0

    @property
    def stderr_path(self) -> Path:
        return self.workdir / f"agent-{self.runs}.stderr"

    def start(self) -> AgentProcess:
        self.runs += 1
        self.stdout = []
        command = [sys.executable, "-c", "from hotline.cli.main import main; main()",
                   "agent", "--sip-host", self.host, "--sip-port", str(self.port)]
        self.process = subprocess.Popen(
            command, cwd=self.workdir, env=self.env, text=True, stdout=subprocess.PIPE,
            stderr=self.stderr_path.open("w"), stdin=subprocess.DEVNULL,
        )
        threading.Thread(target=self._read_stdout, args=(self.process,), daemon=True).start()
        wait_for(lambda: self.listening or self.process.poll() is not None, START_TIMEOUT,
                 message="the agent to listen")
        if not self.listening:
            raise AssertionError(f"agent did not start:\n{self.stderr_path.read_text()[-3000:]}")
        return self

    @property
    def listening(self) -> bool:
        return any("SIP agent listening" in line for line in self.stdout)

    def _read_stdout(self, process: subprocess.Popen[str]) -> None:
        assert process.stdout is not None
        for line in process.stdout:
            self.stdout.append(line)

    def log(self) -> str:
        return self.stderr_path.read_text()

    def stop(self, timeout: float = 90.0) -> int:
        """SIGTERM, as a service manager would; the exit code."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(30)


@dataclass
class SippResult:
    returncode: int
    messages: str
    errors: str

    def responses(self) -> list[int]:
        return [int(code) for code in re.findall(r"^SIP/2\.0 (\d{3})", self.messages, re.MULTILINE)]

    def requests_received(self, method: str) -> int:
        """Requests of ``method`` the agent sent to SIPp (SIPp's log marks them 'received')."""
        return len(re.findall(rf"message received.*?\n{method} ", self.messages, re.DOTALL))


@dataclass
class Caller:
    """One SIPp run: a scenario, the caller's pcap, and who calls from where."""

    workdir: Path
    target: tuple[str, int]
    scenario: str
    pcap_parts: Sequence[str] = ("silence=1",)
    codec: str = "pcmu"
    transport: str = "udp"
    local_ip: str = "127.0.0.1"
    caller: str = "+8613900001111"
    from_user: str = "13800000000"
    calls: int = 1
    pause_ms: int | None = None
    injection: Sequence[str] | None = None
    timeout: float = 150.0
    media_port: int = field(default_factory=lambda: free_port())
    _process: subprocess.Popen[bytes] | None = None

    def start(self) -> Caller:
        self.workdir.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, str(REPO / "scripts" / "make_rtp_pcap.py"), "caller.pcap",
                        "--codec", self.codec, *self.pcap_parts], cwd=self.workdir, check=True,
                       capture_output=True)
        payload_type, codec_name = (0, "PCMU") if self.codec == "pcmu" else (8, "PCMA")
        command = [
            "sipp", f"{self.target[0]}:{self.target[1]}", "-sf", str(SCENARIOS / self.scenario),
            "-m", str(self.calls), "-l", str(self.calls), "-r", "10",
            "-t", "u1" if self.transport == "udp" else "t1",
            "-i", self.local_ip, "-mi", self.local_ip, "-p", str(free_port(self.local_ip)),
            "-mp", str(self.media_port),
            "-key", "caller", self.caller, "-key", "from_user", self.from_user,
            "-key", "pt", str(payload_type), "-key", "codec", codec_name,
            "-recv_timeout", str(int(self.timeout * 1000)), "-timeout", f"{int(self.timeout) + 10}s",
            "-timeout_error", "-nostdin",
            "-trace_msg", "-message_file", "messages.log", "-trace_err", "-error_file", "errors.log",
        ]
        if self.pause_ms is not None:
            command += ["-d", str(self.pause_ms)]
        if self.injection is not None:
            (self.workdir / "injection.csv").write_text("SEQUENTIAL\n" + ";".join(self.injection) + "\n")
            command += ["-inf", "injection.csv"]
        self._process = subprocess.Popen(command, cwd=self.workdir, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        return self

    def wait(self) -> SippResult:
        assert self._process is not None
        try:
            code = self._process.wait(self.timeout + 30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        return self.result(code)

    def kill(self) -> SippResult:
        assert self._process is not None
        self._process.kill()
        return self.result(self._process.wait())

    def result(self, code: int) -> SippResult:
        def read(name: str) -> str:
            path = self.workdir / name
            return path.read_text(errors="replace") if path.exists() else ""

        return SippResult(code, read("messages.log"), read("errors.log"))

    def run(self) -> SippResult:
        return self.start().wait()


def spooled(settings: Settings, pattern: str) -> list[Path]:
    """Files in the agents' spools (one folder per SIP port)."""
    return list(settings.spool_dir.glob(f"sip-*/{pattern}"))


def finished_calls(db: Database, count: int = 1, timeout: float = 60.0) -> list[Call]:
    """The call rows once ``count`` calls have their final report (end time) stored."""

    def ended() -> list[Call] | None:
        with db.read() as session:
            rows = session.scalars(select(Call).where(Call.ended_at.is_not(None)).order_by(Call.id)).all()
        return list(rows) if len(rows) >= count else None

    return wait_for(ended, timeout, message=f"{count} finished call report(s)")
