"""Remove what Whisper makes up rather than hears.

Whisper was trained on subtitled video, so on silence, hold music or noise it
tends to write subtitle credits and channel plugs, or to loop on one phrase.
Those must never reach a complaint ticket as if the caller had said them.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import TypeVar

T = TypeVar("T")

# Applied to Simplified text. Each pattern matches the whole invented phrase.
_HALLUCINATIONS = [
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        r"请不吝点赞.{0,40}?(?:栏目|频道|支持)",
        r"(?:点赞|订阅|转发|打赏)[\s、，,和]*(?:点赞|订阅|转发|打赏).{0,20}?(?:栏目|频道|支持|谢谢)?",
        r"明镜与点点栏目",
        r"(?:中文)?字幕(?:由|来自|制作|提供|组|志愿者|校对|翻译|君|by)[^。！？\n]{0,40}",
        r"[^。！？，,\n]{0,20}(?:提供|制作)的?字幕",
        r"\S*amara\.org\S*",
        r"中文字幕",
        r"(?:请|欢迎)?订阅(?:我的|我们的|本)?频道",
        r"(?:谢谢|感谢)(?:大家|各位)?(?:的)?(?:收看|观看|收听)",
        r"(?:下期|下集)再见",
        r"优优独播剧场.{0,40}",
        r"yoyo television series exclusive",
    )
]
# A phrase said four times or more in a row, over a dozen characters or more, is a
# decoding loop, not a caller (shorter runs may be a number such as 八八八八六六六六).
_LOOP = re.compile(r"(.{1,20}?)(?:[，,、\s]*\1){3,}")
_LOOP_MIN_CHARS = 12
_ONLY_PUNCTUATION = re.compile(r"^[\s\W_]*$")


def strip_hallucinations(text: str) -> str:
    """``text`` without known invented phrases and with repetition loops cut to one."""
    for pattern in _HALLUCINATIONS:
        text = pattern.sub("", text)
    text = _LOOP.sub(_cut_loop, text)
    return "" if _ONLY_PUNCTUATION.match(text) else text.strip(" ，,、")


def drop_repeated(
    items: Iterable[T], key: Callable[[T], str] = str, max_repeats: int = 2
) -> list[T]:
    """Keep at most ``max_repeats`` segments with the same text in a row (a caller may repeat once)."""
    kept: list[T] = []
    run = 0
    for item in items:
        run = run + 1 if kept and key(item) == key(kept[-1]) else 1
        if run <= max_repeats:
            kept.append(item)
    return kept


def _cut_loop(match: re.Match[str]) -> str:
    return match.group(1) if len(match.group()) >= _LOOP_MIN_CHARS else match.group()
