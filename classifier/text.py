"""Text normalisation that never moves a character.

Callers get back offsets into the ORIGINAL text for highlighting, so every step
here maps one character to exactly one character: Traditional → Simplified,
full-width → half-width, upper → lower case.
"""
from __future__ import annotations

from functools import lru_cache

import opencc

# Where a clause ends: matching and context never reach across these.
CLAUSE_BREAKS = frozenset("，。！？；：、,.!?;:…\n\r\t 　~～")

_FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@lru_cache(maxsize=1)
def _to_simplified() -> opencc.OpenCC:
    return opencc.OpenCC("tw2s")  # Taiwan variants too (著火 → 着火), no phrase rewriting


def normalise(text: str) -> str:
    """Simplified, half-width, lower-case text of the same length as ``text``."""
    converter = _to_simplified()
    simplified = converter.convert(text)
    if len(simplified) != len(text):  # a phrase rule changed the length: go char by char
        simplified = "".join(_one_char(converter, ch) for ch in text)
    return simplified.translate(_FULLWIDTH).lower()


def _one_char(converter: opencc.OpenCC, ch: str) -> str:
    converted = converter.convert(ch)
    return converted if len(converted) == 1 else ch


def is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"
