"""Load benchmark of the SIP agent: N agents × 4 simultaneous complaint calls from SIPp.

    .venv/bin/python bench/sip_load.py [--agents 2] [--calls-per-agent 4] [--kamailio]

Each agent is a real ``hotline agent`` process on its own port, all sharing one
HOTLINE_HOME and database (HOTLINE_DATABASE_URL if set, else SQLite in a temporary
folder). Every call presses 1, speaks a complaint from the shared evaluation set
and hangs up. Without ``--kamailio`` one SIPp per agent calls it directly; with it,
one SIPp sends all calls to Kamailio (deploy/kamailio/kamailio.cfg), whose
dispatcher spreads them. Prints, per agent: calls answered and failed, recordings
intact (file, SHA-256, length within ±0.5 s, not silent), CPU and peak memory.
Needs root (SIPp plays RTP from a pcap), sipp, sox and, for --kamailio, kamailio.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import select

from hotline.config import Settings
from hotline.sip.prompts import PromptCatalog
from storage.db import Database
from storage.models import Call, Recording

REPO = Path(__file__).resolve().parents[1]
SCENARIO = REPO / "tests" / "sip" / "scenarios" / "caller_hangs_up.xml"
DEFAULT_SPEECH = REPO.parent / "shared" / "eval" / "audio-dev" / "d058.wav"
KAMAILIO_CFG = REPO / "deploy" / "kamailio" / "kamailio.cfg"
KEY_SECONDS = 0.3
TOLERANCE = 0.5
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
            udp.bind(("127.0.0.1", 0))
            port = udp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
                try:
                    tcp.bind(("127.0.0.1", port))
                except OSError:
                    continue
                return port


@dataclass
class AgentRun:
    port: int
    process: subprocess.Popen[str]
    cpu_start: float = 0.0
    cpu_end: float = 0.0
    peak_rss_kib: int = 0
    lines: list[str] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime

    def sample_rss(self) -> None:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                self.peak_rss_kib = max(self.peak_rss_kib, int(line.split()[1]))


def start_agent(port: int, env: dict[str, str], workdir: Path) -> AgentRun:
    process = subprocess.Popen(
        [sys.executable, "-c", "from hotline.cli.main import main; main()", "agent", "--sip-port", str(port)],
        env=env, cwd=workdir, text=True, stdout=subprocess.PIPE,
        stderr=(workdir / f"agent-{port}.log").open("w"), stdin=subprocess.DEVNULL,
    )
    run = AgentRun(port, process)
    threading.Thread(target=lambda: run.lines.extend(process.stdout or []), daemon=True).start()
    deadline = time.monotonic() + 120
    while not any("listening" in line for line in run.lines):
        if process.poll() is not None or time.monotonic() > deadline:
            sys.exit(f"agent on port {port} did not start; see {workdir / f'agent-{port}.log'}")
        time.sleep(0.2)
    return run


def start_sipp(target: int, calls: int, pause_ms: int, workdir: Path) -> subprocess.Popen[bytes]:
    workdir.mkdir(parents=True, exist_ok=True)
    shutil.copy(workdir.parent / "caller.pcap", workdir / "caller.pcap")
    command = [
        "sipp", f"127.0.0.1:{target}", "-sf", str(SCENARIO), "-m", str(calls), "-l", str(calls), "-r", "20",
        "-i", "127.0.0.1", "-mi", "127.0.0.1", "-p", str(free_port()), "-mp", str(free_port()),
        "-key", "caller", "+8613900001111", "-key", "from_user", "13800000000", "-key", "pt", "0",
        "-key", "codec", "PCMU", "-d", str(pause_ms), "-recv_timeout", "120000", "-timeout", "300s",
        "-nostdin", "-trace_stat", "-stf", "stats.csv", "-fd", "1",
    ]
    return subprocess.Popen(command, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def sipp_counts(workdir: Path) -> tuple[int, int, float]:
    """Successful and failed calls, and the mean INVITE → 200 OK time in seconds."""
    with (workdir / "stats.csv").open() as handle:
        last = list(csv.DictReader(handle, delimiter=";"))[-1]
    hours, minutes, seconds, micros = (int(part) for part in last["ResponseTime1(C)"].split(":"))
    answer = hours * 3600 + minutes * 60 + seconds + micros / 1e6
    return int(last["SuccessfulCall(C)"]), int(last["FailedCall(C)"]), answer


def start_kamailio(port: int, agent_ports: list[int], workdir: Path) -> subprocess.Popen[bytes]:
    targets = workdir / "dispatcher.list"
    targets.write_text("".join(f"1 sip:127.0.0.1:{p} 0 0 duid=agent-{p}\n" for p in agent_ports))
    process = subprocess.Popen(
        ["kamailio", "-DD", "-E", "-f", str(KAMAILIO_CFG), "-A", f"SIP_PORT={port}",
         "-A", f'DISPATCHER_LIST="{targets}"', "-P", str(workdir / "kamailio.pid"),
         "-Y", str(workdir), "-w", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=(workdir / "kamailio.log").open("w"),
    )
    time.sleep(2)
    if process.poll() is not None:
        sys.exit(f"kamailio did not start; see {workdir / 'kamailio.log'}")
    return process


def recording_intact(recording: Recording, expected_seconds: float) -> bool:
    path = Path(recording.spool_path or "")
    if not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != recording.sha256:
        return False
    with wave.open(str(path), "rb") as wav:
        seconds = wav.getnframes() / wav.getframerate()
        samples = np.frombuffer(wav.readframes(wav.getnframes()), dtype="<i2").astype(float)
    return abs(seconds - expected_seconds) <= TOLERANCE and float(np.sqrt(np.mean(samples**2))) > 100


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--agents", type=int, default=2)
    parser.add_argument("--calls-per-agent", type=int, default=4)
    parser.add_argument("--kamailio", action="store_true", help="send all calls through Kamailio's dispatcher")
    parser.add_argument("--extra-calls", type=int, default=0,
                        help="calls beyond capacity; each must be refused busy, never answered")
    parser.add_argument("--speech", type=Path, default=DEFAULT_SPEECH)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="sip-load-"))
    env = {**os.environ, "HOTLINE_HOME": str(workdir / "home"), "HOTLINE_SECRET_KEY": "bench",
           "HOTLINE_SIP_ALLOWED_NETWORKS": json.dumps(["127.0.0.0/8"]), "HOTLINE_LOG_LEVEL": "WARNING"}
    settings = Settings(home=workdir / "home", database_url=os.environ.get("HOTLINE_DATABASE_URL"))
    db = Database(settings.db_url)
    db.migrate()

    catalog = PromptCatalog()
    speech_at = catalog.seconds(["greeting", "recorded", "emergency", "complaint", "beep"]) + 1.0
    speech_seconds = float(subprocess.run(["soxi", "-D", str(args.speech)], capture_output=True, text=True,
                                          check=True).stdout)
    sent_seconds = speech_at + speech_seconds + 0.5
    subprocess.run([sys.executable, str(REPO / "scripts" / "make_rtp_pcap.py"), str(workdir / "caller.pcap"),
                    "silence=0.5", "dtmf=1", f"silence={speech_at - 0.5 - KEY_SECONDS:.3f}", str(args.speech),
                    "silence=0.5"], check=True, capture_output=True)

    agents = [start_agent(free_port(), env, workdir) for _ in range(args.agents)]
    kamailio_port = free_port()
    kamailio = start_kamailio(kamailio_port, [a.port for a in agents], workdir) if args.kamailio else None
    capacity = args.agents * args.calls_per_agent
    total_calls = capacity + args.extra_calls
    for agent in agents:
        agent.cpu_start = agent.cpu_seconds()
    stop_sampling = threading.Event()

    def sample() -> None:
        while not stop_sampling.wait(0.5):
            for agent in agents:
                agent.sample_rss()

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    began = time.monotonic()
    pause_ms = int(sent_seconds * 1000)
    if kamailio is not None:
        runs = [(workdir / "sipp", start_sipp(kamailio_port, total_calls, pause_ms, workdir / "sipp"))]
    else:
        extra = [args.extra_calls // args.agents + (i < args.extra_calls % args.agents) for i in range(args.agents)]
        runs = [(workdir / f"sipp-{a.port}", start_sipp(a.port, args.calls_per_agent + more, pause_ms,
                                                        workdir / f"sipp-{a.port}")) for a, more in zip(agents, extra)]
    for _, process in runs:
        process.wait(400)
    wall = time.monotonic() - began
    answered = failed = 0
    answer_times = []
    for folder, _ in runs:
        ok, bad, answer = sipp_counts(folder)
        answered, failed = answered + ok, failed + bad
        answer_times.append(answer)

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with db.read() as session:
            ended = session.scalars(select(Call).where(Call.ended_at.is_not(None))).all()
        if len(ended) >= answered:
            break
        time.sleep(0.5)
    for agent in agents:
        agent.cpu_end = agent.cpu_seconds()
    stop_sampling.set()
    sampler.join()

    with db.read() as session:
        stored = session.scalars(select(Recording)).all()
    per_agent: dict[int, list[bool]] = {a.port: [] for a in agents}
    for recording in stored:
        port = int(Path(recording.spool_path or "x/sip-0/x").parent.name.split("-")[1])
        per_agent.setdefault(port, []).append(recording_intact(recording, sent_seconds))

    print(f"sip_load: {args.agents} agent(s) x {args.calls_per_agent} calls"
          f"{' via Kamailio dispatcher' if kamailio else ' direct'}; call length {sent_seconds:.1f} s; "
          f"wall {wall:.1f} s; {os.cpu_count()} CPUs")
    print(f"{'agent':>12} {'calls':>6} {'intact':>7} {'cpu s':>7} {'cpu %':>6} {'peak RSS MiB':>13}")
    for agent in agents:
        checks = per_agent.get(agent.port, [])
        cpu = agent.cpu_end - agent.cpu_start
        print(f"{'127.0.0.1:' + str(agent.port):>12} {len(checks):>6} {sum(checks):>7} {cpu:>7.2f} "
              f"{100 * cpu / wall:>6.1f} {agent.peak_rss_kib / 1024:>13.1f}")
    intact = sum(sum(checks) for checks in per_agent.values())
    print(f"answered {answered}/{total_calls} (capacity {capacity}), refused or failed {failed}, "
          f"recordings intact {intact}/{answered}; INVITE→200 mean {1000 * max(answer_times):.0f} ms "
          f"(worst SIPp instance)")

    for agent in agents:
        agent.process.send_signal(signal.SIGTERM)
    for agent in agents:
        agent.process.wait(90)
    if kamailio is not None:
        kamailio.terminate()
        kamailio.wait(30)
    db.dispose()
    if args.keep:
        print(f"kept {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0 if answered == capacity and failed == args.extra_calls and intact == answered else 1


if __name__ == "__main__":
    sys.exit(main())
