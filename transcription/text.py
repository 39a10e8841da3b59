"""Transcript text: Simplified script, tidy display form, and character error rate.

Whisper writes the same spoken number as "3号楼" one time and "三号楼" the
next, and mixes Traditional with Simplified characters and ASCII with Chinese
punctuation. Display text is made consistent (Simplified, half-width digits
without grouping, Chinese punctuation); for scoring, numbers on both sides are
turned into the Chinese words a caller would say, so the CER counts what was
misheard, not how it was written.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import cn2an
from opencc import OpenCC
from rapidfuzz.distance import Levenshtein

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGIT_GROUPS = re.compile(r"(?<=\d)[ ,，](?=\d{3,4}(?!\d))")
_CJK = r"\u3400-\u9fff"
_ASCII_TO_CHINESE_PUNCTUATION = {",": "，", "?": "？", "!": "！", ":": "：", ";": "；", ".": "。"}
_ASCII_PUNCTUATION_BY_CJK = re.compile(
    rf"(?<=[{_CJK}])\s*([,?!:;])\s*|\s*([,?!:;])\s*(?=[{_CJK}])|(?<=[{_CJK}])\.(?!\d)"
)
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}，。？！：；、])\s+(?=[{_CJK}])")
# Read digit by digit: phone and ID numbers (five digits or more) and runs with a leading zero.
_DIGIT_BY_DIGIT = re.compile(r"(?<![\d.])(?:\d{5,}|0\d+)(?![\d.])")
_DIGIT_WORDS = str.maketrans("0123456789", "零一二三四五六七八九")
# Spellings of one spoken number that differ only in writing (幺 on phones, 两 before measure words).
_SCORING_VARIANTS = str.maketrans({"两": "二", "幺": "一", "〇": "零"})


@lru_cache(maxsize=1)
def _to_mainland() -> OpenCC:
    # Whisper's Traditional output is Taiwan-style (著火); plain t2s keeps 著. Characters
    # only: tw2sp's phrase rules would also rewrite Simplified text (好多工人 → 好多任务人).
    return OpenCC("tw2s")


def to_simplified(text: str) -> str:
    """Simplified Chinese, whatever script Whisper chose for this segment."""
    return _to_mainland().convert(text)


def tidy_for_display(text: str) -> str:
    """Simplified text with half-width, ungrouped digits and Chinese punctuation."""
    text = to_simplified(text).translate(_FULL_WIDTH_DIGITS)
    text = _DIGIT_GROUPS.sub("", text)
    text = _ASCII_PUNCTUATION_BY_CJK.sub(_chinese_punctuation, text)
    return _SPACE_BETWEEN_CJK.sub("", text).strip()


def spoken_numerals(text: str) -> str:
    """Digits as a caller says them: 305 → 三百零五, 13800138000 → 一三八零零一三八零零零."""
    text = text.translate(_FULL_WIDTH_DIGITS)
    text = _DIGIT_GROUPS.sub("", text)
    text = _DIGIT_BY_DIGIT.sub(lambda m: m.group().translate(_DIGIT_WORDS), text)
    return cn2an.transform(text, "an2cn") if re.search(r"\d", text) else text


def normalise_for_scoring(text: str) -> str:
    """Only the spoken characters: Simplified, numbers as words, no punctuation or spaces."""
    text = spoken_numerals(to_simplified(text)).translate(_SCORING_VARIANTS).lower()
    return "".join(ch for ch in text if unicodedata.category(ch)[0] not in "PSZC")


def cer(reference: str, hypothesis: str) -> float:
    """Character error rate of ``hypothesis`` against ``reference`` (0.0 = perfect).

    An empty reference scores 0.0 against an empty hypothesis and 1.0 otherwise.
    """
    edits, length = _edits(reference, hypothesis)
    if length == 0:
        return 0.0 if edits == 0 else 1.0
    return edits / length


def corpus_cer(pairs: Iterable[tuple[str, str]]) -> float:
    """CER over many utterances: all edits over all reference characters."""
    total_edits = total_length = 0
    for reference, hypothesis in pairs:
        edits, length = _edits(reference, hypothesis)
        total_edits += edits
        total_length += length
    return total_edits / total_length if total_length else 0.0


def _edits(reference: str, hypothesis: str) -> tuple[int, int]:
    ref, hyp = normalise_for_scoring(reference), normalise_for_scoring(hypothesis)
    return Levenshtein.distance(ref, hyp), len(ref)


def _chinese_punctuation(match: re.Match[str]) -> str:
    mark = match.group(1) or match.group(2) or "."
    return _ASCII_TO_CHINESE_PUNCTUATION[mark]
