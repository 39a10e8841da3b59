"""Measure transcription: CER, real-time factor and peak memory, against plain faster-whisper.

Our pipeline (transcription.Transcriber) and plain faster-whisper called
directly with the same model and decoding settings run in two worker
processes, file by file, alternating which goes first so that load on the
shared machine hits both alike. Overhead is our time over plain time.

    .venv/bin/python bench/asr.py --limit 12
    .venv/bin/python bench/asr.py --prompt none --show
"""
from __future__ import annotations

import argparse
import csv
import multiprocessing
import resource
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from transcription import DOMAIN_PROMPT, ensure_packaged_model
from transcription.text import corpus_cer, to_simplified

SHARED_EVAL = REPO.parent / "shared" / "eval"

_pipeline = None  # the worker process's pipeline, set by _start_worker


@dataclass
class Result:
    text: str
    audio_seconds: float
    seconds: float


@dataclass
class Totals:
    name: str
    startup_cpu_seconds: float = 0.0
    audio_seconds: float = 0.0
    seconds: float = 0.0
    traditional: int = 0
    peak_rss_mb: float = 0.0

    def add(self, result: Result) -> None:
        self.audio_seconds += result.audio_seconds
        self.seconds += result.seconds
        self.traditional += to_simplified(result.text) != result.text


class OurPipeline:
    def __init__(self, model_dir: Path, options: dict, fix_homophones: bool) -> None:
        from transcription import Transcriber

        self.transcriber = Transcriber(model_dir, **options, fix_homophones=fix_homophones)

    def run(self, path: str) -> Result:
        started = time.perf_counter()
        transcript = self.transcriber.transcribe(path)
        return Result(transcript.text, transcript.audio_seconds, time.perf_counter() - started)


class PlainWhisper:
    """faster-whisper as its README shows it, with our decoding options and nothing else."""

    def __init__(self, model_dir: Path, options: dict) -> None:
        from faster_whisper import WhisperModel

        from transcription.transcriber import DecodingOptions

        self.model = WhisperModel(
            str(model_dir),
            device="cpu",
            compute_type=options["compute_type"],
            cpu_threads=options["cpu_threads"],
        )
        self.kwargs = DecodingOptions(
            beam_size=options["beam_size"],
            initial_prompt=options["initial_prompt"],
            hotwords=options["hotwords"],
        ).as_kwargs()

    def run(self, path: str) -> Result:
        started = time.perf_counter()
        segments, info = self.model.transcribe(path, **self.kwargs)
        text = "".join(segment.text for segment in segments)
        return Result(text, info.duration, time.perf_counter() - started)


def _start_worker(kind: str, model_dir: Path, options: dict, fix_homophones: bool) -> None:
    global _pipeline
    if kind == "ours":
        _pipeline = OurPipeline(model_dir, options, fix_homophones)
    else:
        _pipeline = PlainWhisper(model_dir, options)


def _startup_cpu_seconds() -> float:
    return time.process_time()


def _run(path: str) -> Result:
    return _pipeline.run(path)


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_references(tsv: Path) -> dict[str, str]:
    with tsv.open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row["text"] for row in csv.DictReader(handle, delimiter="\t")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--audio", type=Path, default=SHARED_EVAL / "audio-dev")
    parser.add_argument("--refs", type=Path, default=SHARED_EVAL / "complaints-dev.tsv")
    parser.add_argument("--limit", type=int, default=0, help="first N files only (0 = all)")
    parser.add_argument("--model", type=Path, help="CTranslate2 model directory (default: packaged base)")
    parser.add_argument("--cache-dir", type=Path, default=REPO / "var" / "cache")
    parser.add_argument("--beam", type=int, default=5)
    parser.add_argument("--compute-type", default="int8")
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--prompt", default=DOMAIN_PROMPT, help="initial prompt; 'none' for none")
    parser.add_argument("--hotwords", default=None)
    parser.add_argument(
        "--no-fix-homophones", action="store_true", help="ours without the domain lexicon correction"
    )
    parser.add_argument("--show", action="store_true", help="print every reference and hypothesis")
    args = parser.parse_args()

    references = read_references(args.refs)
    files = sorted(p for p in args.audio.glob("*.wav") if p.stem in references)
    if args.limit:
        files = files[: args.limit]
    if not files:
        sys.exit(f"no WAV files in {args.audio} with a reference in {args.refs}")
    model_dir = args.model or ensure_packaged_model(args.cache_dir)
    options = {
        "beam_size": args.beam,
        "compute_type": args.compute_type,
        "cpu_threads": args.threads,
        "initial_prompt": None if args.prompt == "none" else args.prompt,
        "hotwords": args.hotwords,
    }

    spawn = multiprocessing.get_context("spawn")
    fix_homophones = not args.no_fix_homophones
    workers = {
        kind: ProcessPoolExecutor(
            1, spawn, initializer=_start_worker, initargs=(kind, model_dir, options, fix_homophones)
        )
        for kind in ("ours", "plain")
    }
    totals = {kind: Totals(kind) for kind in workers}
    for kind, worker in workers.items():
        totals[kind].startup_cpu_seconds = worker.submit(_startup_cpu_seconds).result()
    hypotheses: dict[str, list[tuple[str, str]]] = {kind: [] for kind in workers}
    for index, path in enumerate(files):
        order = ("ours", "plain") if index % 2 == 0 else ("plain", "ours")
        for kind in order:
            result = workers[kind].submit(_run, str(path)).result()
            totals[kind].add(result)
            hypotheses[kind].append((references[path.stem], result.text))
            if args.show:
                print(f"{path.stem}\t{kind}\t{result.text}", flush=True)
        print(f"\r{index + 1}/{len(files)}", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    for kind, worker in workers.items():
        totals[kind].peak_rss_mb = worker.submit(_peak_rss_mb).result()
        worker.shutdown()

    print(f"files: {len(files)}  audio: {totals['ours'].audio_seconds:.1f} s  model: {model_dir}")
    print(f"settings: {options}, ours fix_homophones={fix_homophones}")
    print(f"{'pipeline':<8} {'CER':>7} {'RTF':>6} {'seconds':>8} {'peak RSS':>9} {'startup CPU s':>13} {'trad.':>5}")
    for kind, total in totals.items():
        print(
            f"{kind:<8} {corpus_cer(hypotheses[kind]):>7.2%} {total.seconds / total.audio_seconds:>6.3f} "
            f"{total.seconds:>8.1f} {total.peak_rss_mb:>6.0f} MB {total.startup_cpu_seconds:>13.1f} "
            f"{total.traditional:>5}"
        )
    print(f"overhead (ours / plain time): {totals['ours'].seconds / totals['plain'].seconds:.3f}x")


if __name__ == "__main__":
    main()
