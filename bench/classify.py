"""Measure the classifier: load time (cold and warm) and texts per second on one core.

Load times are taken in fresh interpreter processes, from before ``import classifier``
until ``load_classifier`` returns: "cold" with an empty cache directory (compiles
the taxonomy, imports pypinyin), "warm" with the cache the cold run left behind.
Throughput classifies the shared dev texts (typed and Whisper-transcribed) over and
over in this single-threaded process after loading; it is reported per second of
this process's CPU time (what one core delivers) and per wall-clock second.

    .venv/bin/python bench/classify.py
    .venv/bin/python bench/classify.py --seconds 5 --runs 5
"""
from __future__ import annotations

import argparse
import csv
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SHARED_EVAL = REPO.parent / "shared" / "eval"
TEXT_FILES = ("complaints-dev.tsv", "complaints-dev-asr.tsv")

LOAD_SCRIPT = """
import sys, time
started, cpu = time.perf_counter(), time.process_time()
from classifier import load_classifier
load_classifier(cache_dir=sys.argv[1])
print(time.perf_counter() - started, time.process_time() - cpu)
"""

GOAL_TEXTS_PER_SECOND = 5000
GOAL_WARM_LOAD_SECONDS = 0.3


def load_seconds(cache_dir: Path) -> tuple[float, float]:
    """Wall and CPU seconds from before the import until the classifier is ready."""
    result = subprocess.run(
        [sys.executable, "-c", LOAD_SCRIPT, str(cache_dir)],
        cwd=REPO, capture_output=True, text=True, check=True,
    )
    wall, cpu = result.stdout.split()
    return float(wall), float(cpu)


def dev_texts() -> list[str]:
    texts = []
    for name in TEXT_FILES:
        with (SHARED_EVAL / name).open(encoding="utf-8", newline="") as handle:
            texts += [row["text"] for row in csv.DictReader(handle, delimiter="\t")]
    return texts


def texts_per_second(seconds: float) -> tuple[float, float, float]:
    """Texts per second of CPU time (this one thread) and of wall time, and mean text length."""
    from classifier import load_classifier

    clf = load_classifier()
    texts = dev_texts()
    done, wall, cpu = 0, time.perf_counter(), time.process_time()
    while time.perf_counter() - wall < seconds:
        for text in texts:
            clf.classify(text)
        done += len(texts)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return done / cpu, done / wall, sum(map(len, texts)) / len(texts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="how long to classify")
    parser.add_argument("--runs", type=int, default=3, help="load-time measurements of each kind")
    args = parser.parse_args()

    cold, warm = [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(load_seconds(Path(cache)))
            warm.append(load_seconds(Path(cache)))
    per_cpu_second, per_wall_second, mean_chars = texts_per_second(args.seconds)

    for label, runs, goal in (
        ("load, cold (empty cache):  ", cold, ""),
        ("load, warm (cache present):", warm, f"  goal ≤ {GOAL_WARM_LOAD_SECONDS} s"),
    ):
        walls, cpus = [w for w, _ in runs], [c for _, c in runs]
        print(f"{label} median {statistics.median(walls):.3f} s wall, {statistics.median(cpus):.3f} s CPU"
              f"  (wall runs: {', '.join(f'{w:.3f}' for w in walls)}){goal}")
    print(f"throughput, one core:       {per_cpu_second:,.0f} texts per CPU second"
          f"  goal ≥ {GOAL_TEXTS_PER_SECOND:,}  (mean {mean_chars:.0f} characters)")
    print(f"                            {per_wall_second:,.0f} texts per wall second"
          f" (lower when other processes share the core; load average {os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
