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
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from hotline.demo import samples  # noqa: E402
from hotline.demo.speech import audio_seconds, to_phone_wav  # noqa: E402

CLI = [sys.executable, "-c", "from hotline.cli.main import main; main()"]
PAUSE_SECONDS = 0.8  # between joined sentences: far below the agent's end-of-speech silence
START_TIMEOUT = 180.0


@dataclass(frozen=True)
class Measured:
    scenario: str
    calls: int
    speech_seconds: float
    latencies: list[float]

    @property
    def worst_ratio(self) -> float:
        return max(self.latencies) / self.speech_seconds


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
            print(f"hotline serve on {os.cpu_count()} CPU(s); SIP port {serve.sip_port}; warming up ...",
                  file=sys.stderr)
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
    return 0


def build_complaint(target: Path, seconds: int) -> Path:
    """Bundled sample complaints, one after another with short pauses, cut to ``seconds``."""
    parts = []
    for index, sample in enumerate(samples()):
        part = target.with_name(f"part-{index}.wav")
        if not part.exists():
            to_phone_wav(sample.path, part)
        parts.append(str(part))
    if not parts:
        raise SystemExit("no bundled samples in hotline/demo/samples")
    pause = target.with_name("pause.wav")
    subprocess.run(["sox", "-n", "-r", "8000", "-c", "1", "-b", "16", str(pause), "trim", "0", str(PAUSE_SECONDS)],
                   check=True)
    sequence: list[str] = []
    total = 0.0
    while total < seconds:
        for part in parts:
            sequence += [part, str(pause)]
            total += audio_seconds(Path(part)) + PAUSE_SECONDS
            if total >= seconds:
                break
    subprocess.run(["sox", *sequence, str(target), "trim", "0", str(seconds)], check=True)
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
        self.process.terminate()
        self.process.wait(180)

    def calls(self, audio: Path, callers: int) -> list[float]:
        """``callers`` demo calls saying ``audio`` at once; each one's seconds from hang-up to routed."""
        command = [*CLI, "demo-call", str(audio), "--json", "--sip-port", str(self.sip_port), "--timeout", "900"]
        running = [subprocess.Popen([*command, "--caller", f"1390000{n:04d}"], env=self.env, text=True,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE) for n in range(callers)]
        latencies = []
        for process in running:
            out, err = process.communicate()
            if process.returncode != 0:
                raise SystemExit(f"demo-call failed: {err.strip().splitlines()[-1] if err.strip() else '?'}")
            shown = json.loads(out)
            latencies.append(shown["routed_after_seconds"])
            print(f"  ticket {shown['ticket']}: {shown['category']}, routed {shown['routed_after_seconds']:.1f} s "
                  "after hang-up", file=sys.stderr)
        return latencies


def print_table(results: list[Measured]) -> None:
    print(f"{'scenario':<28} {'speech s':>8} {'hang-up→routed s (each)':>28} {'worst/speech':>12}")
    for result in results:
        each = ", ".join(f"{latency:.1f}" for latency in result.latencies)
        print(f"{result.scenario:<28} {result.speech_seconds:>8.1f} {each:>28} {result.worst_ratio:>12.2f}")
    singles = [r for r in results if r.calls == 1]
    if singles:
        ratio = statistics.mean(max(r.latencies) / r.speech_seconds for r in singles)
        verdict = "met" if all(r.worst_ratio <= 0.5 for r in singles) else "NOT met"
        print(f"goal (one call routed within half the complaint's length): {verdict}; mean ratio {ratio:.2f}")


if __name__ == "__main__":
    sys.exit(main())
