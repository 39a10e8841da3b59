"""Learning extra keyword weights from labelled texts (e.g. dispatcher corrections).

For every jieba token and category we take the smoothed log-odds of the token
appearing in that category's texts versus all other texts. Tokens that clearly
favour one category become extra keywords with a weight; they are written to a
separate YAML file so the shipped taxonomy stays hand-readable and a bad
learning run is undone by deleting one file.
"""
from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from classifier.taxonomy import (
    Taxonomy,
    TaxonomyError,
    load_taxonomy,
    read_yaml,
    weighted_terms,
)
from classifier.text import is_han, normalise

FORMAT_VERSION = 1
SMOOTHING = 0.5  # added to every count: a token seen once is not yet evidence
MIN_DOCUMENTS = 2  # a token must appear in this many texts of the category
MIN_LOG_ODDS = 1.0
WEIGHT_PER_LOG_ODDS = 0.6
MAX_WEIGHT = 3.0


@dataclass
class LearnedWeights:
    """category → token → weight, plus how many examples they came from."""

    weights: dict[str, dict[str, float]] = field(default_factory=dict)
    examples: int = 0

    def terms(self) -> int:
        return sum(len(w) for w in self.weights.values())


def learn(rows: Iterable[tuple[str, str]], taxonomy: Taxonomy | None = None) -> LearnedWeights:
    """Derive keyword weights from ``(text, category)`` pairs.

    Categories unknown to ``taxonomy`` (the default one when omitted) raise
    ``TaxonomyError`` so a mislabelled file fails loudly instead of learning noise.
    """
    taxonomy = taxonomy or load_taxonomy()
    segmenter = _segmenter(_taxonomy_terms(taxonomy))
    documents: list[tuple[str, frozenset[str]]] = []
    for text, category in rows:
        if category not in taxonomy.categories:
            raise TaxonomyError(f"unknown category {category!r} in the labelled examples")
        if text and text.strip():
            documents.append((category, frozenset(_tokens(segmenter, text))))

    per_category: dict[str, Counter[str]] = {}
    overall: Counter[str] = Counter()
    sizes: Counter[str] = Counter()
    for category, document in documents:
        per_category.setdefault(category, Counter()).update(document)
        overall.update(document)
        sizes[category] += 1

    total = len(documents)
    learned = LearnedWeights(examples=total)
    for category, counts in per_category.items():
        inside, outside = sizes[category], total - sizes[category]
        for token, count in counts.items():
            if count < MIN_DOCUMENTS:
                continue
            elsewhere = overall[token] - count
            log_odds = math.log((count + SMOOTHING) / (inside - count + SMOOTHING)) - math.log(
                (elsewhere + SMOOTHING) / (outside - elsewhere + SMOOTHING)
            )
            if log_odds >= MIN_LOG_ODDS:
                weight = min(MAX_WEIGHT, round(log_odds * WEIGHT_PER_LOG_ODDS, 2))
                learned.weights.setdefault(category, {})[token] = weight
    return learned


def _tokens(segmenter, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """jieba tokens of two or more Han characters (single characters are too ambiguous)."""
    return [t for t in segmenter.lcut(normalise(text)) if len(t) >= 2 and all(is_han(c) for c in t)]


def _taxonomy_terms(taxonomy: Taxonomy) -> tuple[str, ...]:
    terms = {t for c in taxonomy.categories.values() for t in c.keywords}
    return tuple(sorted(t for t in terms if all(is_han(c) for c in t)))


@lru_cache(maxsize=4)
def _segmenter(user_terms: tuple[str, ...]):  # type: ignore[no-untyped-def]
    """One jieba tokenizer per taxonomy, its dictionary loaded once per process."""
    import logging

    import jieba

    jieba.setLogLevel(logging.WARNING)
    segmenter = jieba.Tokenizer()
    for term in user_terms:  # no frequency: jieba keeps the term whole when it can
        segmenter.add_word(term)
    return segmenter


def save_learned(path: Path, weights: LearnedWeights) -> None:
    """Write the learned weights as commented YAML (atomically: a reader never sees half a file)."""
    import yaml

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Keyword weights learned from labelled complaints by classifier.learn.\n"
        "# Generated: re-run learning instead of editing; delete this file to forget them.\n"
        "# Layout: categories → category → token: weight (added to the taxonomy's keywords).\n"
    )
    body = {
        "version": FORMAT_VERSION,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "examples": weights.examples,
        "categories": {
            category: dict(sorted(terms.items(), key=lambda item: (-item[1], item[0])))
            for category, terms in sorted(weights.weights.items())
        },
    }
    temporary = path.with_suffix(path.suffix + ".tmp")
    temporary.write_text(
        header + yaml.safe_dump(body, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    temporary.replace(path)


def load_learned(path: Path) -> LearnedWeights:
    data = read_yaml(Path(path))
    categories = data.get("categories") or {}
    if not isinstance(categories, dict):
        raise TaxonomyError(f"{path}: categories: expected a mapping")
    weights = {
        str(category): weighted_terms(
            {term: weight for term, weight in (terms or {}).items()}, f"{path}: {category}"
        )
        for category, terms in categories.items()
    }
    return LearnedWeights(weights=weights, examples=int(data.get("examples") or 0))
