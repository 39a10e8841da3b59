"""Put misheard domain words right by their sound (同音纠错).

Whisper base often hears the right syllables but picks other characters:
垃圾筒 for 垃圾桶, 卫生监 for 卫生间, 找火 for 着火. A stretch of the transcript
is replaced by a word of the domain lexicon when it shares a character with the
word and either sounds exactly like it (same pinyin and tones) or has the same
syllables in other tones and is itself no word at all (找火, 屋业). These
conditions keep the caller's real words: 燃起 (a word, other tone than 燃气),
午夜 (no character in common with 物业), 过气 (a word).
"""
from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

from pypinyin import Style, lazy_pinyin

DOMAIN_WORDS = Path(__file__).with_name("domain_words.txt")
_HAN = re.compile(r"[\u3400-\u9fff]+")

Sound = tuple[str, ...]


def _with_tones(text: str) -> Sound:
    return tuple(lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True))


def _syllables(text: str) -> Sound:
    return tuple(lazy_pinyin(text))


def in_jieba_dictionary(text: str) -> bool:
    """Whether ``text`` is a word of jieba's general dictionary (loaded once per process)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)  # it announces building its prefix dict on stderr
    jieba.dt.check_initialized()
    return jieba.dt.FREQ.get(text, 0) > 0


class HomophoneFixer:
    """Rewrites stretches of text that sound like a lexicon word (see the module docstring)."""

    def __init__(self, words: Iterable[str], is_word: Callable[[str], bool] = in_jieba_dictionary) -> None:
        self._is_word = is_word
        self._same_tones: dict[Sound, str] = {}
        self._same_syllables: dict[Sound, str] = {}
        for word in words:
            if len(word) >= 2 and _HAN.fullmatch(word):
                self._same_tones.setdefault(_with_tones(word), word)
                self._same_syllables.setdefault(_syllables(word), word)
        self._lengths = sorted({len(s) for s in self._same_tones}, reverse=True)

    def fix(self, text: str) -> str:
        return _HAN.sub(lambda run: self._fix_run(run.group()), text)

    def _fix_run(self, run: str) -> str:
        tones, syllables = _with_tones(run), _syllables(run)  # per character, read in context
        out: list[str] = []
        i = 0
        while i < len(run):
            for length in self._lengths:
                heard = run[i : i + length]
                if len(heard) == length:
                    word = self._word_meant(heard, tones[i : i + length], syllables[i : i + length])
                    if word:
                        out.append(word)
                        i += length
                        break
            else:
                out.append(run[i])
                i += 1
        return "".join(out)

    def _word_meant(self, heard: str, tones: list[str], syllables: list[str]) -> str | None:
        word = self._same_tones.get(tuple(tones))
        if word is None:
            word = self._same_syllables.get(tuple(syllables))
            if word is not None and self._is_word(heard):
                return None
        return word if word is not None and set(word) & set(heard) else None


def read_words(path: Path) -> list[str]:
    """Words separated by spaces or lines; ``#`` starts a comment."""
    text = path.read_text(encoding="utf-8")
    return [word for line in text.splitlines() for word in line.split("#", 1)[0].split()]


@lru_cache(maxsize=1)
def domain_fixer() -> HomophoneFixer:
    """The fixer for the bundled community-complaint lexicon."""
    return HomophoneFixer(read_words(DOMAIN_WORDS))
