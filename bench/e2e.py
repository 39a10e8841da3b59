"""Measure the whole chain: time from hang-up to routed ticket, for one call and several at once.

Starts its own ``hotline serve`` (fresh SQLite and folders in a temporary
HOTLINE_HOME, free ports) and phones it with ``hotline demo-call`` (real SIP,
pjsua2, one process per caller): each caller waits for the menu, presses 1,
speaks after the beep and hangs up; demo-call reports how long after its BYE it
saw the transcript and routing in the database. Complaints of 15, 30 and 60 s
are the bundled samples joined with short pauses; then 2 and 4 callers of 30 s
call at once. A first short call loads the model and is not counted.

Goal: one call routed within half the complaint's length on two cores.

    .venv/bin/python bench/e2e.py
    .venv/bin/python bench/e2e.py --lengths 15 30 --concurrency 2 --repeat 2
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hotline.demo import samples
from hotline.demo.speech import PHONE_RATE, audio_seconds, phone_samples
from storage.db import Database
from storage.tickets import get_by_number
from storage.transcripts import latest_for_ticket

CLI = [sys.executable, "-c", "from hotline.cli.main import main; main()"]
PAUSE_SECONDS = 0.8  # between joined sentences: far below the agent's end-of-speech silence
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class Routed:
    """One call as measured: demo-call's hang-up→routed time, and the worker's own figures."""

    latency: float  # seconds from the caller's BYE until demo-call saw the routed ticket
    recording_seconds: float  # the whole call as recorded (prompts included)
    whisper_seconds: float  # the worker's transcription time


@dataclass(frozen=True)
class Measured:
    scenario: str
    calls: int
    speech_seconds: float
    routed: list[Routed]

    @property
    def worst_ratio(self) -> float:
        return max(r.latency for r in self.routed) / self.speech_seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lengths", type=int, nargs="+", default=[15, 30, 60], help="complaint lengths (s)")
    parser.add_argument("--concurrency", type=int, nargs="*", default=[2, 4], help="callers at once")
    parser.add_argument("--concurrent-length", type=int, default=30, help="complaint length of concurrent calls")
    parser.add_argument("--repeat", type=int, default=1, help="single calls per length")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="hotline-bench-") as folder:
        work = Path(folder)
        lengths = sorted({*args.lengths, args.concurrent_length, 8})
        audio = {length: build_complaint(work / f"complaint-{length}s.wav", length) for length in lengths}
        with Serve(work) as serve:
            print(f"hotline serve on {os.cpu_count()} CPU(s), load average {os.getloadavg()[0]:.1f}; "
                  f"SIP port {serve.sip_port}; warming up ...", file=sys.stderr)
            serve.calls(audio[8], 1)  # loads Whisper and the classifier; not counted
            results = []
            for length in args.lengths:
                for _ in range(args.repeat):
                    results.append(Measured(f"1 call of {length} s", 1, audio_seconds(audio[length]),
                                            serve.calls(audio[length], 1)))
            for callers in args.concurrency:
                results.append(Measured(f"{callers} calls of {args.concurrent_length} s at once", callers,
                                        audio_seconds(audio[args.concurrent_length]),
                                        serve.calls(audio[args.concurrent_length], callers)))
    print_table(results)
    print(f"load average at the end (other processes share these CPUs): {os.getloadavg()[0]:.1f}")
    return 0


def build_complaint(target: Path, seconds: int) -> Path:
    """Bundled sample complaints, one after another with short pauses, cut to ``seconds``."""
    sentences = [phone_samples(sample.path) for sample in samples()]
    if not sentences:
        raise SystemExit("no bundled samples in hotline/demo/samples")
    pause = np.zeros(int(PAUSE_SECONDS * PHONE_RATE), dtype=np.int16)
    joined = np.concatenate([part for sentence in sentences for part in (sentence, pause)])
    repeated = np.tile(joined, -(-seconds * PHONE_RATE // len(joined)))[: seconds * PHONE_RATE]
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(PHONE_RATE)
        wav.writeframes(repeated.astype("<i2").tobytes())
    return target


class Serve:
    """``hotline serve`` with its own HOTLINE_HOME, stopped (SIGTERM) on exit."""

    def __init__(self, work: Path) -> None:
        from socket import socket

        def free_port() -> int:
            with socket() as probe:
                probe.bind(("127.0.0.1", 0))
                return probe.getsockname()[1]

        self.port, self.sip_port = free_port(), free_port()
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")},
            "HOTLINE_HOME": str(work / "home"),
            "HOTLINE_LOG_LEVEL": "WARNING",
        }
        self.database = Database(f"sqlite:///{work / 'home' / 'hotline.db'}")
        self.log = work / "serve.log"
        self.process: subprocess.Popen[str] | None = None
        self.banner: list[str] = []

    def __enter__(self) -> Serve:
        self.process = subprocess.Popen(
            [*CLI, "serve", "--port", str(self.port), "--sip-port", str(self.sip_port)],
            env=self.env, text=True, stdout=subprocess.PIPE, stderr=self.log.open("w"), stdin=subprocess.DEVNULL,
        )
        threading.Thread(target=self._read_banner, daemon=True).start()
        deadline = time.monotonic() + START_TIMEOUT
        while not any("Press Ctrl-C" in line for line in self.banner):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"hotline serve did not start; its log:\n{self.log.read_text()[-2000:]}")
            time.sleep(0.2)
        return self

    def _read_banner(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.banner.append(line)

    def __exit__(self, *_exc: object) -> None:
        assert self.process is not None
        self.database.dispose()
        self.process.terminate()
        self.process.wait(180)

    def calls(self, audio: Path, callers: int) -> list[Routed]:
        """``callers`` demo calls saying ``audio`` at once, as measured."""
        command = [*CLI, "demo-call", str(audio), "--json", "--sip-port", str(self.sip_port), "--timeout", "900"]
        running = [subprocess.Popen([*command, "--caller", f"1390000{n:04d}"], env=self.env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(callers)]
        measured = []
        for process in running:
            out, err = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"demo-call failed: {err.strip().splitlines()[-1] if err.strip() else '?'}")
            shown = json.loads(out)
            with self.database.read() as session:
                ticket = get_by_number(session, shown["ticket"])
                transcript = latest_for_ticket(session, ticket.id)  # type: ignore[union-attr]
                routed = Routed(shown["routed_after_seconds"], transcript.audio_seconds,  # type: ignore[union-attr]
                                transcript.processing_seconds)  # type: ignore[union-attr]
            measured.append(routed)
            print(f"  ticket {shown['ticket']}: {shown['category']}, recording {routed.recording_seconds:.1f} s, "
                  f"Whisper {routed.whisper_seconds:.1f} s, routed {routed.latency:.1f} s after hang-up",
                  file=sys.stderr)
        return measured


def print_table(results: list[Measured]) -> None:
    def each(values: list[float]) -> str:
        return ", ".join(f"{value:.1f}" for value in values)

    print(f"{'scenario':<26} {'speech s':>8} {'recording s':>11} {'Whisper s (each)':>24} "
          f"{'hang-up→routed s (each)':>26} {'worst/speech':>12}")
    for result in results:
        print(f"{result.scenario:<26} {result.speech_seconds:>8.1f} "
              f"{statistics.mean(r.recording_seconds for r in result.routed):>11.1f} "
              f"{each([r.whisper_seconds for r in result.routed]):>24} "
              f"{each([r.latency for r in result.routed]):>26} {result.worst_ratio:>12.2f}")
    singles = [r for r in results if r.calls == 1]
    if singles:
        ratio = statistics.mean(r.worst_ratio for r in singles)
        verdict = "met" if all(r.worst_ratio <= 0.5 for r in singles) else "NOT met"
        print(f"goal (one call routed within half the complaint's length): {verdict}; mean ratio {ratio:.2f}")


if __name__ == "__main__":
    sys.exit(main())
