"""What the demo caller says: any audio file, or text spoken by espeak-ng, as phone audio.

pjsua2 plays 16-bit PCM WAV at the call's clock rate; everything is converted to
8 kHz mono first (sox), so a bundled μ-law sample, a 44.1 kHz stereo recording
or synthesised text all go down the line the same way.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

PHONE_RATE = 8000


class AudioError(Exception):
    """The audio to play cannot be read or made."""


def _require(tool: str, package: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise AudioError(f"{tool} is not installed (Debian package {package})")
    return path


def to_phone_wav(source: Path, target: Path) -> float:
    """Convert ``source`` to 8 kHz mono 16-bit PCM WAV at ``target``; its length in seconds."""
    if not source.is_file():
        raise AudioError(f"no such audio file: {source}")
    result = subprocess.run(
        [_require("sox", "sox"), str(source), "-r", str(PHONE_RATE), "-c", "1", "-b", "16",
         "-e", "signed-integer", str(target)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        reason = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else "unknown format"
        raise AudioError(f"cannot read {source} as audio: {reason}")
    return audio_seconds(target)


def speak(text: str, target: Path) -> float:
    """Mandarin text spoken by espeak-ng (voice cmn), as phone audio; its length in seconds."""
    synthesised = target.with_suffix(".espeak.wav")
    result = subprocess.run(
        [_require("espeak-ng", "espeak-ng"), "-v", "cmn", "-s", "150", "-w", str(synthesised), text],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise AudioError(f"espeak-ng could not speak the text: {result.stderr.strip()}")
    try:
        return to_phone_wav(synthesised, target)
    finally:
        synthesised.unlink(missing_ok=True)


def audio_seconds(path: Path) -> float:
    """The length of any audio file sox reads (μ-law WAV included, which ``wave`` refuses)."""
    result = subprocess.run([_require("soxi", "sox"), "-D", str(path)], capture_output=True, text=True)
    if result.returncode != 0:
        raise AudioError(f"cannot read {path} as audio: {result.stderr.strip()}")
    return float(result.stdout)
