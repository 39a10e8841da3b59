"""Tone-less pinyin for matching keywords that the speech recogniser misheard.

A keyword's phrase reading (着火 → zhao-huo) is compared with the usual reading
of each character the recogniser wrote (找火 → zhao-huo).
pypinyin is imported only when these tables are built; the compiled classifier
keeps them, so a warm start never pays pypinyin's import.
"""
from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from classifier.text import is_han

Syllables = tuple[str, ...]


def strip_tone(syllable: str) -> str:
    decomposed = unicodedata.normalize("NFD", syllable.lower()).replace("u\u0308", "v")
    return "".join(ch for ch in decomposed if "a" <= ch <= "z")


def char_readings(fuzzy: Mapping[str, str]) -> dict[str, str]:
    """Every Han character → its usual tone-less reading (fuzzy classes folded).

    Only the usual reading: a rare one (款 is also "xin") would let sound matching
    invent keywords out of ordinary words.
    """
    from pypinyin.pinyin_dict import pinyin_dict

    table: dict[str, str] = {}
    for code, readings in pinyin_dict.items():
        ch = chr(code)
        if is_han(ch):
            syllable = strip_tone(readings.split(",")[0])
            if syllable:
                table[ch] = fuzzy.get(syllable, syllable)
    return table


def term_pinyin(
    terms: Iterable[str], fuzzy: Mapping[str, str], readings: Mapping[str, str]
) -> dict[str, tuple[Syllables, ...]]:
    """Each all-Han term → its readings: the phrase reading (pypinyin picks 着火 → zhao-huo)
    and, when a character has several readings, also its characters' usual ones (zhe-huo).

    The recogniser writes a character for the sound it heard, so a misheard
    着火 may come out as 着伙 (read character by character: zhe-huo) as well as 找火.
    """
    from pypinyin import Style, lazy_pinyin

    result: dict[str, tuple[Syllables, ...]] = {}
    for term in terms:
        if not term or not all(is_han(ch) for ch in term):
            continue
        phrase = tuple(fuzzy.get(s, s) for s in lazy_pinyin(term, style=Style.NORMAL))
        if len(phrase) != len(term) or not all(phrase):
            continue
        usual = tuple(readings.get(ch, "") for ch in term)
        result[term] = (phrase,) if usual == phrase or not all(usual) else (phrase, usual)
    return result


def fuzzy_map(classes: Iterable[Iterable[str]]) -> dict[str, str]:
    """Syllables a recogniser confuses, each folded onto the first of its class."""
    mapping: dict[str, str] = {}
    for group in classes:
        members = [strip_tone(s) for s in group]
        for member in members[1:]:
            mapping[member] = members[0]
    return mapping
