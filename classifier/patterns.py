"""Keyword patterns (regular expressions) with a cheap literal pre-check.

A taxonomy has a hundred or so patterns; trying each of them at every position
of every text would cost more than all the rest of the classifier. Each pattern
is therefore read once, at compile time, for a *trigger*: literal strings of
which any match must contain at least one (for ``{victim}{_}{0,4}(?:头晕|恶心)``
that is 头晕 or 恶心). One pass over the text finds which triggers occur, and
only those patterns run.
"""
from __future__ import annotations

import re
from itertools import product
from typing import Any

MAX_ALTERNATIVES = 64  # beyond this a literal set is no cheaper than running the pattern


class PatternSet:
    """Patterns, each tied to a term id, matched with overlaps (every start position)."""

    def __init__(self, patterns: list[tuple[str, int]], fold: dict[str, str] | None = None) -> None:
        # Patterns and texts are matched with grammatical sound-alikes folded together
        # (再 → 在, 得 → 的): the recogniser mixes them up, and a pattern's meaning never
        # hangs on which of them was written.
        self.fold = str.maketrans(fold or {})
        patterns = [(pattern.translate(self.fold), term) for pattern, term in patterns]
        self.regexes = [re.compile(f"(?=({pattern}))") for pattern, _ in patterns]
        self.terms = [term for _, term in patterns]
        triggers = [trigger(pattern) for pattern, _ in patterns]
        self.always = frozenset(i for i, found in enumerate(triggers) if found is None)
        literals = {literal for found in triggers if found for literal in found}
        # literal → the patterns it triggers: its own and those of every literal it starts with
        self.by_literal = {
            literal: frozenset(
                i for i, found in enumerate(triggers) if found and any(literal.startswith(other) for other in found)
            )
            for literal in literals
        }
        lengths: dict[str, set[int]] = {}  # first character → lengths of the literals starting with it
        for literal in literals:
            lengths.setdefault(literal[0], set()).add(len(literal))
        self.lengths = {first: tuple(sorted(found, reverse=True)) for first, found in lengths.items()}

    def spans(self, text: str) -> list[tuple[int, int, int]]:
        """(start, end, term) of every match of every pattern whose trigger occurs in ``text``."""
        text = text.translate(self.fold)  # one character for one: spans stay valid
        active = set(self.always)
        by_literal, lengths = self.by_literal, self.lengths
        for i, ch in enumerate(text):
            for length in lengths.get(ch, ()):
                found = by_literal.get(text[i : i + length])
                if found is not None:  # the longest literal here stands for its prefixes too
                    active |= found
                    break
        return [
            (*match.span(1), self.terms[i])
            for i in sorted(active)
            for match in self.regexes[i].finditer(text)
        ]


def trigger(pattern: str) -> tuple[str, ...] | None:
    """The most selective set of literals one of which every match contains, if any."""
    try:
        from re import _parser as parser  # type: ignore[attr-defined]  # the stdlib's own regex parser
    except ImportError:  # pragma: no cover - a Python without it simply runs every pattern
        return None
    found = _required(list(parser.parse(pattern)), parser)
    return tuple(sorted(found)) if found else None


def _required(items: list[tuple[Any, Any]], parser: Any) -> set[str] | None:
    """Literal alternatives that a match of this sequence must contain (the longest found)."""
    if len(items) == 1 and items[0][0] is parser.BRANCH:  # a|b: one of each branch's literals
        union: set[str] = set()
        for branch in items[0][1][1]:
            found = _required(list(branch), parser)
            if not found:
                return None
            union |= found
        return union if len(union) <= MAX_ALTERNATIVES else None
    best: set[str] | None = None
    run: set[str] | None = None  # literals of consecutive elements, joined
    for op, value in items:
        here = _literals(op, value, parser)
        if here is None:
            run = None
            if op is parser.SUBPATTERN or (op in (parser.MAX_REPEAT, parser.MIN_REPEAT) and value[0] >= 1):
                inner = value[-1]
                found = _required(list(inner), parser)
                best = _better(best, found)
            continue
        joined = _joined(run, here) if run is not None else here
        run = joined if joined is not None else here
        best = _better(best, run)
    return best


def _literals(op: Any, value: Any, parser: Any) -> set[str] | None:
    """All the strings an element can match, when it is a small finite set of literals."""
    if op is parser.LITERAL:
        return {chr(value)}
    if op is parser.IN:
        if any(kind is not parser.LITERAL for kind, _ in value) or len(value) > MAX_ALTERNATIVES:
            return None
        return {chr(code) for _, code in value}
    if op is parser.SUBPATTERN:
        return _sequence_literals(list(value[-1]), parser)
    if op is parser.BRANCH:
        union: set[str] = set()
        for branch in value[1]:
            found = _sequence_literals(list(branch), parser)
            if found is None:
                return None
            union |= found
        return union if len(union) <= MAX_ALTERNATIVES else None
    return None


def _sequence_literals(items: list[tuple[Any, Any]], parser: Any) -> set[str] | None:
    strings = {""}
    for op, value in items:
        here = _literals(op, value, parser)
        if here is None:
            return None
        strings = _joined(strings, here)
        if strings is None:
            return None
    return strings


def _joined(left: set[str], right: set[str]) -> set[str] | None:
    if len(left) * len(right) > MAX_ALTERNATIVES:
        return None
    return {a + b for a, b in product(left, right)}


def _better(current: set[str] | None, candidate: set[str] | None) -> set[str] | None:
    """The more selective of two literal sets: longer shortest literal, then fewer of them."""
    if not candidate or "" in candidate:
        return current
    if current is None:
        return candidate

    def key(literals: set[str]) -> tuple[int, int]:
        return min(map(len, literals)), -len(literals)

    return candidate if key(candidate) > key(current) else current
