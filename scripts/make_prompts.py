"""Speak the SIP agent's prompts into 8 kHz mono 16-bit WAVs (espeak-ng Mandarin + sox).

    python scripts/make_prompts.py [--line-name 社区投诉热线] [--out hotline/sip/prompts]

The texts are ``hotline.sip.prompts.PROMPT_TEXTS``; the output is what the agent
plays by default. A deployment with real voice recordings puts them (same names,
same format) into its own folder and sets ``HOTLINE_SIP_PROMPTS_DIR`` instead.
Needs the Debian packages ``espeak-ng`` and ``sox``.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from hotline.config import Settings
from hotline.sip.prompts import DEFAULT_DIR, PROMPT_TEXTS, SAMPLE_RATE, TONES

VOICE = "cmn"
WORDS_PER_MINUTE = 210
# sox -D (no dither): the prompts come out the same byte for byte on every run.
OUTPUT_FORMAT = ["-r", str(SAMPLE_RATE), "-c", "1", "-b", "16", "-e", "signed-integer"]
# Cut espeak's leading/trailing silence, so joined digits sound like one number.
TRIM = ["silence", "1", "0.02", "0.5%", "reverse", "silence", "1", "0.02", "0.5%", "reverse"]


def speak(text: str, target: Path, *, pause: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        spoken = Path(tmp) / "spoken.wav"
        subprocess.run(["espeak-ng", "-v", VOICE, "-s", str(WORDS_PER_MINUTE), "-w", str(spoken), text],
                       check=True)
        subprocess.run(["sox", "-D", str(spoken), *OUTPUT_FORMAT, str(target), *TRIM,
                        "gain", "-n", "-3", "pad", "0", str(pause)], check=True)


def tone(frequency: int, seconds: float, target: Path) -> None:
    subprocess.run(["sox", "-D", "-n", *OUTPUT_FORMAT, str(target), "synth", str(seconds), "sine",
                    str(frequency), "fade", "0.01", str(seconds), "0.01", "gain", "-6", "pad", "0", "0.2"],
                   check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--line-name", default=Settings.model_fields["line_name"].default,
                        help="the name said in the greeting")
    parser.add_argument("--out", type=Path, default=DEFAULT_DIR)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, text in PROMPT_TEXTS.items():
        short = name.startswith("digit_") or name in ("ten", "year", "month", "day")
        speak(text.format(line_name=args.line_name), args.out / f"{name}.wav", pause=0.02 if short else 0.15)
    for name, (frequency, seconds) in TONES.items():
        tone(frequency, seconds, args.out / f"{name}.wav")
    total = sum(path.stat().st_size for path in args.out.glob("*.wav"))
    print(f"wrote {len(PROMPT_TEXTS) + len(TONES)} prompts to {args.out} ({total / 1024:.0f} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
