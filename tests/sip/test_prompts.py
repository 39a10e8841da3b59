"""The shipped prompts: all there, in the format PJSIP's playlist needs, small; numbers spoken right."""
from __future__ import annotations

import wave
from datetime import date
from pathlib import Path

import pytest

from hotline.sip.prompts import (
    DEFAULT_DIR,
    PROMPT_NAMES,
    PromptCatalog,
    spoken_count,
    spoken_date,
    spoken_digits,
)
from hotline.workflow import STATUSES


def test_every_prompt_is_shipped_as_8khz_mono_16bit_and_all_fit_in_1_5_mb() -> None:
    catalog = PromptCatalog()
    assert catalog.problems() == []
    for name in PROMPT_NAMES:
        with wave.open(str(catalog.path(name)), "rb") as wav:
            assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
            assert wav.getnframes() > 800, f"{name} is nearly empty"
    assert sum(path.stat().st_size for path in DEFAULT_DIR.glob("*.wav")) <= 1_500_000


def test_there_is_a_status_word_for_every_ticket_status() -> None:
    assert {f"status_{status}" for status in STATUSES} <= set(PROMPT_NAMES)


def test_a_replacement_folder_is_checked_before_use(tmp_path: Path) -> None:
    with wave.open(str(tmp_path / "greeting.wav"), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(16000)
        wav.writeframes(b"\0\0" * 1600)
    problems = PromptCatalog(tmp_path).problems()
    assert any("greeting.wav" in problem and "8 kHz" in problem for problem in problems)
    assert any("menu.wav is missing" in problem for problem in problems)


def test_prompt_lengths_add_up() -> None:
    catalog = PromptCatalog()
    assert catalog.seconds(["digit_1", "digit_2"]) == pytest.approx(
        catalog.seconds(["digit_1"]) + catalog.seconds(["digit_2"]))


@pytest.mark.parametrize(
    ("value", "words"),
    [(3, ["digit_3"]), (10, ["ten"]), (14, ["ten", "digit_4"]), (20, ["digit_2", "ten"]),
     (31, ["digit_3", "ten", "digit_1"])],
)
def test_counts_are_spoken_like_a_date(value: int, words: list[str]) -> None:
    assert spoken_count(value) == words


def test_dates_and_numbers_are_joined_from_digit_prompts() -> None:
    assert spoken_date(date(2025, 12, 1)) == ["digit_2", "digit_0", "digit_2", "digit_5", "year",
                                              "ten", "digit_2", "month", "digit_1", "day"]
    assert spoken_digits("2025-0107") == ["digit_2", "digit_0", "digit_2", "digit_5", "digit_0", "digit_1",
                                          "digit_0", "digit_7"]
    with pytest.raises(ValueError):
        spoken_count(0)
