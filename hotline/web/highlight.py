"""Mark the words that decided a ticket's routing, so dispatchers see *why*.

The classifier reports each keyword with ``start``/``end`` offsets into the text
it read; we trust an offset only when it still points at the matched words, so a
later edit of the text can never put a mark in the wrong place.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from markupsafe import Markup, escape


def _spans(text: str, keywords: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, str]]:
    """Valid, non-overlapping (start, end, tooltip) spans, earliest first."""
    candidates = []
    for keyword in keywords:
        start, end = keyword.get("start"), keyword.get("end")
        if not isinstance(start, int) or not isinstance(end, int) or not 0 <= start < end <= len(text):
            continue
        matched = keyword.get("matched")
        if matched and text[start:end] != matched:
            continue
        candidates.append((start, end, f"关键词：{keyword.get('term') or text[start:end]}"))
    spans: list[tuple[int, int, str]] = []
    for start, end, tooltip in sorted(candidates, key=lambda span: (span[0], -span[1])):
        if spans and start < spans[-1][1]:
            continue
        spans.append((start, end, tooltip))
    return spans


def highlight(text: str | None, keywords: Iterable[Mapping[str, Any]] | None) -> Markup:
    """The text, HTML-escaped, with each decisive keyword wrapped in ``<mark>``."""
    text = text or ""
    pieces: list[str] = []
    cursor = 0
    for start, end, tooltip in _spans(text, keywords or ()):
        pieces.append(escape(text[cursor:start]))
        pieces.append(Markup('<mark title="{}">{}</mark>').format(tooltip, text[start:end]))
        cursor = end
    pieces.append(escape(text[cursor:]))
    return Markup("").join(pieces)
