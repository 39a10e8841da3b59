"""``hotline transcribe FILE...``: transcribe recordings with the configured model."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import typer

from hotline.cli.common import CliError, settings
from transcription import AudioError, ModelError, Transcriber, ensure_packaged_model

MODEL_UNUSABLE_EXIT = 2


def register(app: typer.Typer) -> None:
    app.command("transcribe")(transcribe)


def transcribe(
    files: list[Path] = typer.Argument(..., help="audio files (WAV, MP3, anything FFmpeg reads)"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per file and line"),
) -> None:
    """Print what was said in each file (Simplified Chinese)."""
    transcriber = _load_transcriber()
    failed = 0
    with typer.progressbar(files, label="transcribing", file=sys.stderr, hidden=len(files) < 2) as bar:
        for path in bar:
            try:
                transcript = transcriber.transcribe(path)
            except AudioError as exc:
                failed += 1
                after_bar = "\n" if sys.stderr.isatty() else ""
                typer.echo(f"{after_bar}error: {exc}", err=True)
                continue
            if as_json:
                typer.echo(json.dumps({"file": str(path), **transcript.to_dict()}, ensure_ascii=False))
            else:
                typer.echo(f"{path}: {transcript.text}" if len(files) > 1 else transcript.text)
    if failed:
        raise CliError(f"{failed} of {len(files)} files could not be transcribed")


def _load_transcriber() -> Transcriber:
    config = settings()
    try:
        model_dir = config.whisper_model or ensure_packaged_model(config.cache_dir)
        return Transcriber(
            model_dir,
            beam_size=config.whisper_beam_size,
            compute_type=config.whisper_compute_type,
            cpu_threads=config.whisper_threads,
        )
    except ModelError as exc:
        raise CliError(f"unusable Whisper model: {exc}", code=MODEL_UNUSABLE_EXIT) from exc
