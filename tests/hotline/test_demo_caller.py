"""The demo caller's ears: when the agent has finished speaking, and when it beeped."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from hotline.demo import samples
from hotline.demo.caller import FRAME_SAMPLES, Listener
from hotline.demo.probe import probe_agent
from hotline.demo.speech import phone_samples

PROMPTS = Path(__file__).resolve().parents[2] / "hotline" / "sip" / "prompts"
RATE = 8000


def listen(*parts: np.ndarray) -> Listener:
    audio = np.concatenate(parts)
    listener = Listener()
    for start in range(0, len(audio) - FRAME_SAMPLES + 1, FRAME_SAMPLES):
        listener.hear(audio[start:start + FRAME_SAMPLES])
    return listener


def silence(seconds: float) -> np.ndarray:
    return np.zeros(int(seconds * RATE), dtype=np.int16)


def tone(hertz: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (8000 * np.sin(2 * np.pi * hertz * t)).astype(np.int16)


@pytest.mark.parametrize("hertz", [425, 1000, 1400])
def test_a_beep_is_heard_once_it_has_ended(hertz: float) -> None:
    assert listen(silence(0.5), tone(hertz, 0.3), silence(0.3)).beep_ended_since(0)
    assert not listen(silence(0.5), tone(hertz, 0.3)).beep_ended_since(0)  # still beeping


def test_the_agents_own_beep_prompt_is_a_beep_and_its_spoken_prompts_are_not() -> None:
    spoken = [p for p in PROMPTS.glob("*.wav") if p.name != "beep.wav"]
    assert spoken, "no prompts in hotline/sip/prompts"
    assert listen(phone_samples(PROMPTS / "beep.wav"), silence(0.3)).beep_ended_since(0)
    assert not [p.name for p in spoken if listen(phone_samples(p), silence(0.3)).beep_ended_since(0)]


def test_speech_is_sound_but_never_a_beep() -> None:
    bundled = samples()
    assert bundled, "no bundled samples"
    for sample in bundled:
        heard = listen(phone_samples(sample.path), silence(1.0))
        assert heard.heard_sound_since(0)
        assert not heard.beep_ended_since(0), sample.name
        assert heard.quiet_seconds() >= 1.0  # the samples end in a little silence of their own


def test_silence_is_quiet() -> None:
    heard = listen(silence(2.0))
    assert not heard.heard_sound_since(0)
    assert heard.quiet_seconds() == pytest.approx(2.0)


def test_nothing_answers_a_probe_on_a_closed_port() -> None:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
    assert probe_agent("127.0.0.1", port, timeout=0.5) is None
