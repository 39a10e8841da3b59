"""Finding keywords in a text: by characters, by sound, and by a few patterns.

A plain dict scan (each position × the keyword lengths that start with its two
characters) is fast enough for thousands of texts a second and needs no
tokeniser. Sound matching follows the rules that stop pronunciation from
inventing matches: at least two syllables, short keywords must keep one of
their own characters in place unless whitelisted, never across punctuation,
and never where the text holds a listed plain word.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import NamedTuple

from classifier.patterns import PatternSet
from classifier.phonetic import Syllables, char_readings, fuzzy_map, term_pinyin
from classifier.taxonomy import Taxonomy

TAXONOMY = "taxonomy"
LEARNED = "learned"

CHAR = "char"
PINYIN = "pinyin"
PATTERN = "pattern"


@dataclass
class Term:
    text: str
    entries: list[tuple[str, float, str]] = field(default_factory=list)  # category, weight, source
    negative: list[tuple[str, float]] = field(default_factory=list)
    hazard: float = 0.0
    never: bool = False  # a plain word that must not be read as its sound-alike


class Hit(NamedTuple):
    start: int
    end: int
    term: int
    via: str


class Scan(NamedTuple):
    heard: str  # the text with each trusted sound-alike keyword written as the keyword
    hits: list[Hit]


# Sound index: syllables → [(term id, text, may match without a shared character)]
SoundTable = dict[Syllables, list[tuple[int, str, bool]]]


class KeywordIndex:
    """Every term of a taxonomy (plus learned terms), ready to scan texts."""

    def __init__(self, taxonomy: Taxonomy, learned: dict[str, dict[str, float]]) -> None:
        self.terms: list[Term] = []
        self.by_text: dict[str, int] = {}
        for category in taxonomy.categories.values():
            for text, weight in category.keywords.items():
                self._term(text).entries.append((category.key, weight, TAXONOMY))
            for text, weight in category.negative.items():
                self._term(text).negative.append((category.key, weight))
        for category_key, weights in learned.items():
            for text, weight in weights.items():
                self._term(text).entries.append((category_key, weight, LEARNED))
        for text, weight in taxonomy.hazard.items():
            self._term(text).hazard = weight
        self._phrases_outweigh_their_words()
        for text in taxonomy.homophones.never | taxonomy.neutral:
            self._term(text)
        for text in taxonomy.homophones.never:
            self._term(text).never = True

        # How telling each term is; of two equally long overlapping matches the stronger wins.
        self.strength = [max((w for _, w, _ in t.entries), default=0.0) for t in self.terms]
        self._index_prefixes()
        self._index_sounds(taxonomy)
        self._index_patterns(taxonomy)
        # A term that only counts against a category (一直没) hides no keyword it overlaps (没电).
        self.hides = [bool(t.entries or t.hazard or not t.negative) for t in self.terms]

    def _index_prefixes(self) -> None:
        """Two-character prefix → lengths of the terms starting with it, longest first
        (one-character terms apart): most positions of a text cost a single look-up."""
        lengths: dict[str, set[int]] = {}
        for text in self.by_text:
            if len(text) > 1:
                lengths.setdefault(text[:2], set()).add(len(text))
        self.lengths = {prefix: tuple(sorted(found, reverse=True)) for prefix, found in lengths.items()}
        self.single_chars = frozenset(text for text in self.by_text if len(text) == 1)

    def _index_sounds(self, taxonomy: Taxonomy) -> None:
        """First two syllables → [(length, SoundTable)], longest first."""
        rule = taxonomy.homophones
        fuzzy = fuzzy_map(rule.fuzzy)
        self.readings: dict[str, str] = char_readings(fuzzy)
        self.common_chars = rule.common_chars
        self.known_confusions = rule.known_confusions
        # How much a sound-alike weighs against a written word it crosses: only a known
        # confusion of the recogniser can outweigh one (云倒了: 晕倒 over 倒了).
        self.sound_strength = [
            self.strength[i] * rule.weight if t.text in rule.known_confusions else 0.0
            for i, t in enumerate(self.terms)
        ]
        sounds = term_pinyin((t.text for t in self.terms if t.entries or t.hazard), fuzzy, self.readings)
        by_length: dict[tuple[str, str], dict[int, SoundTable]] = {}
        for term_id, term in enumerate(self.terms):
            for syllables in sounds.get(term.text, ()):
                if len(syllables) < max(2, rule.min_syllables):
                    continue
                free = len(syllables) >= rule.free_from_syllables or term.text in rule.whitelist
                table = by_length.setdefault(syllables[:2], {}).setdefault(len(syllables), {})
                table.setdefault(syllables, []).append((term_id, term.text, free))
        self.by_sound = {pair: sorted(tables.items(), reverse=True) for pair, tables in by_length.items()}

    def _index_patterns(self, taxonomy: Taxonomy) -> None:
        """Each pattern on its own, run only on texts holding one of its literals."""
        patterns: list[tuple[str, int]] = []
        for category in taxonomy.categories.values():
            for pattern, weight in category.patterns:
                patterns.append((pattern, len(self.terms)))
                self.terms.append(Term(pattern, entries=[(category.key, weight, TAXONOMY)]))
                self.strength.append(weight)
        for pattern, weight in taxonomy.hazard_patterns:  # they set urgency, not category
            patterns.append((pattern, len(self.terms)))
            self.terms.append(Term(pattern, hazard=weight))
            self.strength.append(0.0)
        self.patterns = PatternSet(patterns, taxonomy.homophones.fold)

    def _phrases_outweigh_their_words(self) -> None:
        """A phrase hides the words inside it, so it must count at least as much as they do
        (物业费照收 must not score less than the 物业费 it contains)."""
        for term in self.terms:
            text = term.text
            for i, entry in enumerate(term.entries):
                category, weight, source = entry
                for start in range(len(text)):
                    for end in range(start + 1, len(text) + 1):
                        inner_id = self.by_text.get(text[start:end])
                        if inner_id is None or (end - start) == len(text):
                            continue
                        for inner_category, inner_weight, inner_source in self.terms[inner_id].entries:
                            if (inner_category, inner_source) == (category, source) and inner_weight > weight:
                                weight = inner_weight
                term.entries[i] = (category, weight, source)

    def _term(self, text: str) -> Term:
        term_id = self.by_text.get(text)
        if term_id is None:
            term_id = self.by_text[text] = len(self.terms)
            self.terms.append(Term(text))
        return self.terms[term_id]

    def scan(self, text: str) -> Scan:
        """Matches in ``text`` (normalised); a longer match hides shorter ones it overlaps."""
        hits = self._by_chars(text)
        hits = _outermost(hits + self._by_sound(text, hits), self.strength, self.sound_strength, self.hides)
        # A pattern's gap may hold other keywords: they stay. Patterns read the text as heard:
        # a sound-alike keyword (店梯, 景盖) stands for the word it sounds like, so that 店梯卡在
        # 5楼 meets the lift patterns; such a match is as uncertain as the sound-alike itself.
        heard, misheard = self._as_heard(text, hits)
        for start, end, term in self.patterns.spans(heard):
            via = PINYIN if any(s < end and start < e for s, e in misheard) else PATTERN
            hits.append(Hit(start, end, term, via))
        return Scan(heard, hits)

    def _as_heard(self, text: str, hits: list[Hit]) -> tuple[str, list[tuple[int, int]]]:
        """``text`` with each trusted sound-alike keyword written as the keyword, and where:
        a two-syllable one only when it is a known confusion of the recogniser (拿到 is
        not 拿刀)."""
        misheard = [
            (h.start, h.end, self.terms[h.term].text)
            for h in hits
            if h.via == PINYIN and (h.end - h.start > 2 or self.terms[h.term].text in self.known_confusions)
        ]
        if not misheard:
            return text, []
        chars = list(text)
        for start, end, written in misheard:
            chars[start:end] = written  # same number of syllables, so of characters
        return "".join(chars), [(start, end) for start, end, _ in misheard]

    def _by_chars(self, text: str) -> list[Hit]:
        """The longest term starting at each position (shorter ones there would be hidden)."""
        hits: list[Hit] = []
        by_text, lengths, singles = self.by_text, self.lengths, self.single_chars
        n = len(text)
        for i in range(n):
            for length in lengths.get(text[i : i + 2], ()):
                if i + length <= n:
                    term_id = by_text.get(text[i : i + length])
                    if term_id is not None:
                        hits.append(Hit(i, i + length, term_id, CHAR))
                        break
            else:
                if text[i] in singles:
                    hits.append(Hit(i, i + 1, by_text[text[i]], CHAR))
        return hits

    def _by_sound(self, text: str, char_hits: list[Hit]) -> list[Hit]:
        readings, by_sound, common = self.readings, self.by_sound, self.common_chars
        sounds = [readings.get(ch) for ch in text]
        n = len(text)
        hits: list[Hit] = []
        for i, pair in enumerate(pairwise(sounds)):
            tables = by_sound.get(pair)
            if tables is None:
                continue
            for length, table in tables:
                end = i + length
                if end > n:
                    continue
                candidates = table.get(tuple(sounds[i:end]))
                if candidates is None:
                    continue
                written = text[i:end]
                for term_id, term_text, free in candidates:
                    # A short keyword must keep one telling character of its own in place.
                    if written != term_text and (
                        free or any(w == t and t not in common for w, t in zip(written, term_text))
                    ):
                        hits.append(Hit(i, end, term_id, PINYIN))
        if not hits:
            return hits
        plain = [(h.start, h.end) for h in char_hits if self.terms[h.term].never]
        return [h for h in hits if not any(s < h.end and h.start < e for s, e in plain)]


def _outermost(
    hits: list[Hit], strength: list[float], sound_strength: list[float], hides: list[bool]
) -> list[Hit]:
    """Keep one reading of the text: a match hidden inside or across a longer match (or an
    equally long, stronger one) is dropped, and so is a sound-alike of a word written out.

    Where the text spells a keyword (路灯), another keyword that merely sounds the
    same at that very place is not also counted. Of two equally long matches that
    cross, the stronger wins; a sound-alike only if it is a known confusion of the
    recogniser (in 云倒了 the misheard 晕倒 outweighs the plain 倒了 it crosses).
    """
    if len(hits) < 2:
        return hits

    def rank(hit: Hit) -> tuple[int, float, bool, int]:
        weight = sound_strength[hit.term] if hit.via == PINYIN else strength[hit.term]
        return hit.start - hit.end, -weight, hit.via == PINYIN, hit.start

    hits.sort(key=rank)
    kept: list[Hit] = []
    seen: set[tuple[int, int, int]] = set()
    written: set[tuple[int, int]] = set()
    for hit in hits:
        key = (hit.start, hit.end, hit.term)
        if key in seen or (hit.via == PINYIN and (hit.start, hit.end) in written):
            continue
        length = hit.end - hit.start
        if any(
            hides[k.term] and k.start < hit.end and hit.start < k.end and k.end - k.start >= length
            and (k.start, k.end) != (hit.start, hit.end)
            for k in kept
        ):
            continue
        seen.add(key)
        kept.append(hit)
        if hit.via != PINYIN:
            written.add((hit.start, hit.end))
    kept.sort(key=lambda h: h.start)
    return kept
