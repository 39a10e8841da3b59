"""What the demo caller says: any audio file, or text spoken by espeak-ng, as phone audio.

pjsua2 plays 16-bit PCM WAV at the call's clock rate; everything is converted to
8 kHz mono first, with PyAV (FFmpeg, already there for faster-whisper), so a
bundled μ-law sample, an MP3 or a 44.1 kHz stereo recording go down the line
the same way and no system tool is needed. Only text needs espeak-ng.
"""
from __future__ import annotations

import shutil
import subprocess
import wave
from pathlib import Path

import av
import numpy as np

PHONE_RATE = 8000


class AudioError(Exception):
    """The audio to play cannot be read or made."""


def phone_samples(source: Path) -> np.ndarray:
    """The first audio stream of ``source`` as 8 kHz mono 16-bit samples."""
    if not source.is_file():
        raise AudioError(f"no such audio file: {source}")
    try:
        with av.open(str(source)) as container:
            if not container.streams.audio:
                raise AudioError(f"{source} has no audio")
            resampler = av.AudioResampler(format="s16", layout="mono", rate=PHONE_RATE)
            frames = [
                converted
                for frame in container.decode(container.streams.audio[0])
                for converted in resampler.resample(frame)
            ]
            frames += resampler.resample(None)  # what the resampler still holds
    except av.FFmpegError as exc:
        raise AudioError(f"cannot read {source} as audio: {exc}") from exc
    if not frames:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([frame.to_ndarray().reshape(-1) for frame in frames]).astype(np.int16)


def to_phone_wav(source: Path, target: Path) -> float:
    """Write ``source`` to ``target`` as 8 kHz mono 16-bit PCM WAV; its length in seconds."""
    samples = phone_samples(source)
    with wave.open(str(target), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(PHONE_RATE)
        wav.writeframes(samples.astype("<i2").tobytes())
    return len(samples) / PHONE_RATE


def speak(text: str, target: Path) -> float:
    """Mandarin text spoken by espeak-ng (voice cmn), as phone audio; its length in seconds."""
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        raise AudioError("speaking text needs espeak-ng (Debian package espeak-ng); or pass a WAV file")
    synthesised = target.with_suffix(".espeak.wav")
    result = subprocess.run([espeak, "-v", "cmn", "-w", str(synthesised), text],
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AudioError(f"espeak-ng could not speak the text: {result.stderr.strip()}")
    try:
        return to_phone_wav(synthesised, target)
    finally:
        synthesised.unlink(missing_ok=True)


def audio_seconds(path: Path) -> float:
    """The length of any audio file PyAV reads (μ-law WAV included, which ``wave`` refuses)."""
    return len(phone_samples(path)) / PHONE_RATE
