"""The agent's voice: prompt texts, the folder of prompt WAVs, and sentences built from them.

``PROMPT_TEXTS`` is the script that ``scripts/make_prompts.py`` speaks into
``hotline/sip/prompts/``; a deployment can put its own recordings (8 kHz mono
16-bit WAV, same names) into a folder named by ``HOTLINE_SIP_PROMPTS_DIR``.
Numbers and dates are never recorded whole: they are read by joining the digit
prompts, so any ticket number can be spoken.
"""
from __future__ import annotations

import wave
from collections.abc import Sequence
from datetime import date
from functools import cache
from pathlib import Path
from typing import Protocol

from hotline.workflow import STATUS_WORDS

DEFAULT_DIR = Path(__file__).parent / "prompts"
SAMPLE_RATE = 8000

DIGIT_WORDS = "零一二三四五六七八九"

PROMPT_TEXTS: dict[str, str] = {
    "greeting": "您好，这里是{line_name}。",
    "recorded": "本次通话将被录音。",
    "emergency": "如遇火灾、燃气泄漏、有人受伤或违法犯罪，请立即挂机，拨打幺幺九、幺幺零或幺二零。",
    "menu": "投诉请按1或稍候，查询办理进度请按2。",
    "complaint": "请在提示音后说明投诉的事情和地点，说完请按井号键或挂机。",
    "thanks": "感谢您的反映，正在登记，请稍候。",
    "ticket_intro": "您的受理编号是",
    "ticket_repeat": "再说一遍",
    "registration_failed": "您的投诉已录音，我们会尽快处理并与您联系。",
    "query": "请输入十二位受理编号，以井号键结束。",
    "not_found": "没有查到这个编号，请重新输入，以井号键结束。",
    "not_found_final": "仍未查到这个编号，请核对后再查询。",
    "query_unavailable": "系统繁忙，请稍后再查询。",
    "status_intro": "该工单目前的状态是",
    "deadline_intro": "办理截止日期是",
    "extended": "该工单已延期。",
    "goodbye": "感谢来电，再见。",
    "ten": "十",
    "year": "年",
    "month": "月",
    "day": "日",
    **{f"digit_{d}": word for d, word in enumerate(DIGIT_WORDS)},
    **{f"status_{code}": word for code, word in STATUS_WORDS.items()},
}
TONES = {"beep": (1000, 0.4)}  # name: (frequency Hz, seconds), made with sox
PROMPT_NAMES = (*PROMPT_TEXTS, *TONES)


class Progress(Protocol):
    """What a progress query tells the caller (``hotline.tickets.TicketProgress``)."""

    status: str
    deadline: date | None
    extended: bool


def spoken_digits(number: str) -> list[str]:
    """``"2025"`` → the prompts 二 零 二 五."""
    return [f"digit_{d}" for d in number if d.isdigit()]


def spoken_count(value: int) -> list[str]:
    """1–99 the way a date says them: 十一, 二十, 三十一."""
    if not 0 < value < 100:
        raise ValueError(f"cannot speak {value} as a count")
    tens, units = divmod(value, 10)
    words = []
    if tens:
        words += ([] if tens == 1 else [f"digit_{tens}"]) + ["ten"]
    if units:
        words.append(f"digit_{units}")
    return words


def spoken_date(day: date) -> list[str]:
    """二零二五年 三月 十四日."""
    return [*spoken_digits(f"{day.year:04d}"), "year", *spoken_count(day.month), "month",
            *spoken_count(day.day), "day"]


def spoken_ticket_number(number: str) -> list[str]:
    """The number digit by digit, then once more."""
    read = ["ticket_intro", *spoken_digits(number)]
    return [*read, "ticket_repeat", *read]


def spoken_progress(progress: Progress) -> list[str]:
    """Status and deadline of a ticket, with no personal data."""
    words = ["status_intro", f"status_{progress.status}"]
    if progress.deadline is not None:
        words += ["deadline_intro", *spoken_date(progress.deadline)]
    if progress.extended:
        words.append("extended")
    return words


class PromptCatalog:
    """The prompt WAVs of one folder, with their lengths (for timing the conversation)."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory or DEFAULT_DIR

    def problems(self) -> list[str]:
        """What keeps the agent from speaking: missing or unusable prompt files."""
        found = []
        for name in PROMPT_NAMES:
            path = self.path(name)
            if not path.is_file():
                found.append(f"{path} is missing")
                continue
            try:
                _wav_seconds(path)
            except (OSError, EOFError, ValueError, wave.Error) as exc:
                found.append(f"{path}: {exc}")
        return found

    def path(self, name: str) -> Path:
        return self.directory / f"{name}.wav"

    def seconds(self, names: Sequence[str]) -> float:
        return sum(_wav_seconds(self.path(name)) for name in names)


@cache
def _wav_seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as wav:
        if wav.getframerate() != SAMPLE_RATE or wav.getnchannels() != 1 or wav.getsampwidth() != 2:
            raise ValueError(f"prompt {path} must be 8 kHz mono 16-bit WAV")
        return wav.getnframes() / wav.getframerate()
