"""Phone recordings → Simplified Chinese transcripts with faster-whisper.

Settings were measured on phone-band Mandarin complaints (see bench/asr.py):
int8 is within 0.5 CER points of float32 at 1.6× less cost, beam 5 beats
greedy by 1.5–2 points, and a Simplified domain prompt both lowers the CER and
steers Whisper away from Traditional output. The prompt makes Whisper invent
text on silence, so VAD always runs first. Each Whisper call encodes at least
a 30 s window, so whole calls are transcribed at once, never chunks.
"""
from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from transcription.cleanup import drop_repeated, strip_hallucinations
from transcription.lexicon import domain_fixer
from transcription.model import ModelError, check_model_dir
from transcription.text import tidy_for_display

log = logging.getLogger(__name__)

SAMPLE_RATE = 16_000
# Simplified, punctuated, a list of the words of the complaint categories (plus 有人/老人/邻居,
# which Whisper otherwise hears as 有言/老延/林居). Whole sentences measured worse: Whisper
# copied their style and wrote digits in place of commas.
DOMAIN_PROMPT = (
    "社区投诉热线。有人反映：小区里的老人、孩子、邻居，物业、居委会，垃圾、污水、异味、油烟、"
    "噪音扰民、漏水、占道、电梯、物业费、保安、维修、路灯、健身器材、消防通道、电动车充电、欠薪、"
    "社保、劳动合同、停电、电表、火灾、燃气泄漏、有人受伤。"
)
_CLAUSE_END = tuple("。！？，、；：…")


class AudioError(Exception):
    """The file cannot be read as audio."""


@dataclass(frozen=True)
class Segment:
    start: float
    end: float
    text: str
    avg_logprob: float
    no_speech_prob: float


@dataclass(frozen=True)
class Transcript:
    text: str
    empty: bool
    segments: tuple[Segment, ...]
    model: str
    settings: dict[str, Any]
    audio_seconds: float
    processing_seconds: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, as stored with the ticket."""
        data = asdict(self)
        data["segments"] = [asdict(s) for s in self.segments]
        return data


@dataclass(frozen=True)
class DecodingOptions:
    """What is passed to faster-whisper for every call (the plain baseline uses the same)."""

    language: str = "zh"
    beam_size: int = 5
    initial_prompt: str | None = DOMAIN_PROMPT
    hotwords: str | None = None
    condition_on_previous_text: bool = False
    vad_filter: bool = field(default=True, init=False)

    def as_kwargs(self) -> dict[str, Any]:
        return asdict(self)


def load_audio(path: str | os.PathLike[str]) -> np.ndarray:
    """Mono float32 at 16 kHz from anything PyAV/FFmpeg reads (8 kHz μ-law WAV, MP3, ...)."""
    import av

    source = Path(path)
    if not source.is_file():
        raise AudioError(f"{source}: no such file")
    try:
        return _faster_whisper().decode_audio(str(source), sampling_rate=SAMPLE_RATE)
    except (av.error.FFmpegError, ValueError, IndexError) as exc:
        raise AudioError(f"{source}: not a readable audio file ({exc})") from exc


class Transcriber:
    """One loaded model; call ``transcribe`` for each recording (not thread-safe)."""

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        beam_size: int = 5,
        compute_type: str = "int8",
        cpu_threads: int = 0,
        *,
        initial_prompt: str | None = DOMAIN_PROMPT,
        hotwords: str | None = None,
        fix_homophones: bool = True,
    ) -> None:
        self.model_dir = check_model_dir(model_dir)
        self._fixer = domain_fixer() if fix_homophones else None
        self.options = DecodingOptions(
            beam_size=beam_size, initial_prompt=initial_prompt, hotwords=hotwords
        )
        self.settings: dict[str, Any] = {
            **self.options.as_kwargs(),
            "compute_type": compute_type,
            "cpu_threads": cpu_threads,
            "fix_homophones": fix_homophones,
        }
        self._model = load_whisper(self.model_dir, compute_type, cpu_threads)

    @property
    def model_name(self) -> str:
        return self.model_dir.name

    def transcribe(self, path: str | os.PathLike[str]) -> Transcript:
        """Transcribe one whole recording; silence or noise gives an empty transcript."""
        started = time.perf_counter()
        audio = load_audio(path)
        segments = self._decode(audio) if audio.size else []
        transcript = Transcript(
            text=join_segments(s.text for s in segments),
            empty=not segments,
            segments=tuple(segments),
            model=self.model_name,
            settings=dict(self.settings),
            audio_seconds=round(audio.size / SAMPLE_RATE, 3),
            processing_seconds=round(time.perf_counter() - started, 3),
        )
        log.info(
            "transcribed",
            extra={
                "audio_seconds": transcript.audio_seconds,
                "processing_seconds": transcript.processing_seconds,
                "segments": len(segments),
            },
        )
        return transcript

    def _decode(self, audio: np.ndarray) -> list[Segment]:
        raw, _info = self._model.transcribe(audio, **self.options.as_kwargs())
        segments = []
        for piece in raw:
            text = strip_hallucinations(tidy_for_display(piece.text))
            if text and self._fixer:
                text = self._fixer.fix(text)
            if text:
                segments.append(
                    Segment(
                        start=round(piece.start, 2),
                        end=round(piece.end, 2),
                        text=text,
                        avg_logprob=round(piece.avg_logprob, 4),
                        no_speech_prob=round(piece.no_speech_prob, 4),
                    )
                )
        return drop_repeated(segments, key=lambda s: s.text)


def load_whisper(model_dir: Path, compute_type: str, cpu_threads: int):  # -> WhisperModel
    """faster-whisper's model from a checked local directory, never from the hub."""
    try:
        return _faster_whisper().WhisperModel(
            str(model_dir), device="cpu", compute_type=compute_type, cpu_threads=cpu_threads
        )
    except (RuntimeError, ValueError, OSError) as exc:
        raise ModelError(f"cannot load the Whisper model in {model_dir}: {exc}") from exc


def _faster_whisper():
    """faster-whisper, imported on first use with the hub off (read when huggingface_hub loads).

    Kept out of ``import transcription`` so that the text tools load fast.
    """
    os.environ["HF_HUB_OFFLINE"] = "1"
    import faster_whisper

    return faster_whisper


def join_segments(texts: Iterable[str]) -> str:
    """One text from segment texts, with a comma where Whisper left a clause open."""
    joined = ""
    for text in texts:
        if joined and not joined.endswith(_CLAUSE_END):
            joined += "，"
        joined += text
    return joined
