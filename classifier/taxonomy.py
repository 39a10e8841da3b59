"""The taxonomy: categories, departments, keywords and urgency rules as configuration.

The default ships as ``classifier/taxonomy.yaml``; a deployment points
``taxonomy_path`` at its own file of the same shape. Everything is validated on
load so that a typo fails with the file and the field named, not at routing time.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier.text import CLAUSE_BREAKS, normalise

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy.yaml")


class TaxonomyError(ValueError):
    """The taxonomy (or learned) file is missing or malformed."""


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    department: str
    urgency: int
    confidential: bool
    keywords: dict[str, float]
    negative: dict[str, float] = field(default_factory=dict)
    patterns: tuple[tuple[str, float], ...] = ()
    outranks: dict[str, float] = field(default_factory=dict)
    intent: Intent | None = None  # an intent (asking, praising) rather than a subject


@dataclass(frozen=True)
class Intent:
    """A category that is what the caller wants (to ask, suggest, praise), not what the call
    is about: with enough evidence it goes first whatever subject the call names."""

    min_score: float
    min_share: float  # of the leading category's score: a subject far better evidenced still wins


@dataclass(frozen=True)
class EmergencyRule:
    """Level-1 words: they decide the route on their own unless negated or hypothetical."""

    category: str
    threshold: float
    hypothetical_to: str
    negated: str
    hypothetical: str
    past: str
    hypothetical_after: str
    resolved: str
    negated_after: str
    window: int
    past_weight: float = 0.5  # a danger that happened before counts this much for hypothetical_to
    everyday_terms: frozenset[str] = frozenset()  # smoke, smells: words with everyday sources too
    everyday_sources: str = ""  # such a source named anywhere: those words are a nuisance, not a fire
    person_terms: frozenset[str] = frozenset()  # what happens to something (被压, 掉进): a danger to a person only
    person: str = ""  # how a person is named (a regular expression)
    without_person: float = 0.5  # such a word with no person near counts this much: alone it is no alarm
    misreadings: str = ""  # phrases where a level-1 word means something harmless (跳楼价, 上吊根线)
    past_after: str = ""  # words right after it that put it in the past (困人的事上个月发生过)
    whenever: str = ""  # words before it that make it habitual (一点火就着) unless 了 follows
    condition: str = ""  # a whole clause that sets a condition (要是着火了): the next clause is its consequence


@dataclass(frozen=True)
class HomophoneRule:
    min_syllables: int
    free_from_syllables: int
    weight: float
    two_syllable_weight: float
    whitelist: frozenset[str]
    known_confusions: frozenset[str]
    common_chars: frozenset[str]
    never: frozenset[str]
    fuzzy: tuple[tuple[str, ...], ...]
    fold: dict[str, str]  # pattern matching only: a grammatical character → the one patterns use


@dataclass(frozen=True)
class ReviewRule:
    min_confidence: float
    close_ratio: float


@dataclass(frozen=True)
class Taxonomy:
    departments: dict[str, str]
    categories: dict[str, Category]
    fallback: str
    emergency: EmergencyRule
    hazard: dict[str, float]
    hazard_patterns: tuple[tuple[str, float], ...]
    hazard_urgency: int
    hazard_threshold: float
    homophones: HomophoneRule
    neutral: frozenset[str]
    review: ReviewRule
    set_aside: str = ""  # clauses whose subject the caller sets aside (我不是说吵架啊 就是…): one regex


def read_yaml(path: Path) -> dict[str, Any]:
    import yaml  # only when compiling: a warm start reads the compiled cache instead

    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_strict_loader())
    except FileNotFoundError as exc:
        raise TaxonomyError(f"{path}: file not found") from exc
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise TaxonomyError(f"{path}: cannot read: {exc}") from exc
    if not isinstance(data, dict):
        raise TaxonomyError(f"{path}: expected a mapping at the top level")
    return data


def _strict_loader() -> type:
    """A safe YAML loader that rejects a key given twice in one mapping.

    Plain YAML keeps the last of two ``5:`` lists silently, so half of a
    category's keywords would vanish without a word.
    """
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C loader is much faster

    class StrictLoader(base):  # type: ignore[misc, valid-type]
        pass

    def mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        keys = [loader.construct_object(key, deep=deep) for key, _ in node.value]
        for i, key in enumerate(keys):
            if key in keys[:i]:
                raise yaml.constructor.ConstructorError(
                    None, None, f"key {key!r} appears twice in one mapping", node.start_mark
                )
        return base.construct_mapping(loader, node, deep=deep)

    StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, mapping)
    return StrictLoader


def load_taxonomy(path: Path | None = None) -> Taxonomy:
    path = Path(path) if path else DEFAULT_TAXONOMY
    try:
        return _parse(read_yaml(path))
    except TaxonomyError as exc:
        if str(exc).startswith(str(path)):
            raise
        raise TaxonomyError(f"{path}: {exc}") from exc


def weighted_terms(value: Any, where: str) -> dict[str, float]:
    """``{weight: [term, ...]}`` or ``{term: weight}`` → normalised term → weight."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: expected a mapping of weight → list of terms")
    terms: dict[str, float] = {}
    for key, items in value.items():
        if isinstance(items, list):
            weight, words = key, items
        else:
            weight, words = items, [key]
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise TaxonomyError(f"{where}: weight {weight!r} is not a number")
        for word in words:
            term = normalise(str(word)).strip()
            if not term:
                raise TaxonomyError(f"{where}: empty term")
            terms[term] = max(terms.get(term, 0.0), float(weight))
    return terms


def _parse(data: dict[str, Any]) -> Taxonomy:
    departments = {str(k): str(v) for k, v in _mapping(data, "departments").items()}
    sets = word_sets(data.get("sets"))
    categories: dict[str, Category] = {}
    for key, spec in _mapping(data, "categories").items():
        categories[str(key)] = _category(str(key), spec, departments, sets)
    if not categories:
        raise TaxonomyError("categories: at least one category is required")
    for category in categories.values():
        for other in category.outranks:
            _known(categories, other, f"categories.{category.key}.outranks")

    fallback = _known(categories, str(data.get("fallback", "other")), "fallback")
    emergency = _emergency(_mapping(data, "emergency"), categories, sets)
    urgency = data.get("urgency") or {}
    hazard_urgency = int(urgency.get("hazard_level", 2))
    if not 1 <= hazard_urgency <= 4:
        raise TaxonomyError("urgency.hazard_level: must be 1-4")
    homophones = _mapping(data, "homophones")
    review = data.get("review") or {}
    return Taxonomy(
        departments=departments,
        categories=categories,
        fallback=fallback,
        emergency=emergency,
        hazard=weighted_terms(urgency.get("hazard"), "urgency.hazard"),
        hazard_patterns=compiled_patterns(urgency.get("hazard_patterns"), sets, "urgency.hazard_patterns"),
        hazard_urgency=hazard_urgency,
        hazard_threshold=float(urgency.get("hazard_threshold", 2)),
        homophones=HomophoneRule(
            min_syllables=int(homophones.get("min_syllables", 2)),
            free_from_syllables=int(homophones.get("free_from_syllables", 4)),
            weight=float(homophones.get("weight", 0.85)),
            two_syllable_weight=float(homophones.get("two_syllable_weight", 0.55)),
            whitelist=frozenset(normalise(w) for w in homophones.get("whitelist") or []),
            known_confusions=frozenset(normalise(w) for w in homophones.get("known_confusions") or []),
            common_chars=frozenset(normalise(str(homophones.get("common_chars") or ""))),
            never=frozenset(normalise(w) for w in homophones.get("never") or []),
            fuzzy=tuple(tuple(str(s) for s in group) for group in homophones.get("fuzzy") or []),
            fold=_fold_map(homophones.get("pattern_fold")),
        ),
        neutral=frozenset(normalise(w) for w in data.get("neutral") or []),
        set_aside=_alternatives(data.get("set_aside"), sets, "set_aside"),
        review=ReviewRule(
            min_confidence=float(review.get("min_confidence", 0.5)),
            close_ratio=float(review.get("close_ratio", 0.8)),
        ),
    )


def _category(key: str, spec: Any, departments: dict[str, str], sets: dict[str, str]) -> Category:
    where = f"categories.{key}"
    if not isinstance(spec, dict):
        raise TaxonomyError(f"{where}: expected a mapping")
    department = str(spec.get("department", ""))
    if department not in departments:
        raise TaxonomyError(f"{where}.department: unknown department {department!r}")
    urgency = spec.get("urgency", 3)
    if not isinstance(urgency, int) or not 1 <= urgency <= 4:
        raise TaxonomyError(f"{where}.urgency: must be an integer 1-4")
    patterns = compiled_patterns(spec.get("patterns"), sets, f"{where}.patterns")
    return Category(
        key=key,
        name=str(spec.get("name") or key),
        department=department,
        urgency=urgency,
        confidential=bool(spec.get("confidential", False)),
        keywords=weighted_terms(spec.get("keywords"), f"{where}.keywords"),
        negative=weighted_terms(spec.get("negative"), f"{where}.negative"),
        patterns=patterns,
        outranks={str(k): float(v) for k, v in (spec.get("outranks") or {}).items()},
        intent=_intent(spec.get("intent"), where),
    )


def _intent(value: Any, where: str) -> Intent | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}.intent: expected a mapping with min_score and min_share")
    score, share = value.get("min_score"), value.get("min_share", 0.0)
    for name, number in (("min_score", score), ("min_share", share)):
        if isinstance(number, bool) or not isinstance(number, int | float) or number < 0:
            raise TaxonomyError(f"{where}.intent.{name}: expected a number ≥ 0")
    return Intent(min_score=float(score), min_share=float(share))


def compiled_patterns(value: Any, sets: dict[str, str], where: str) -> tuple[tuple[str, float], ...]:
    """``{weight: [regex, ...]}`` → (regex with its word sets expanded, weight), each checked."""
    patterns = tuple((expand_sets(pattern, sets, where), weight) for pattern, weight in weighted_raw(value, where))
    for pattern, _ in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise TaxonomyError(f"{where}: bad regular expression {pattern!r}: {exc}") from exc
    return patterns


_SET_REFERENCE = re.compile(r"\{([a-z_]+)\}")
# {_} in a pattern: any one character of the same clause (never a comma, full stop or space).
WITHIN_CLAUSE = "[^" + re.escape("".join(sorted(CLAUSE_BREAKS))) + "]"


def word_sets(value: Any) -> dict[str, str]:
    """``sets: {name: [word, ...]}`` → name → a regular-expression alternation of the words.

    Patterns say ``{victim}{_}{0,4}倒在`` once instead of spelling out every
    kind of person: one list of who can be hurt serves every danger pattern.
    ``{_}`` is built in: one character within the same clause. A set given as
    ``{words: [...], not_followed_by: REGEX}`` matches its words only where the
    regex does not follow (我的钥匙: 我 owns the keys, it is not who fell in).
    """
    sets: dict[str, str] = {"_": WITHIN_CLAUSE}
    if value is None:
        return sets
    if not isinstance(value, dict):
        raise TaxonomyError("sets: expected a mapping of name → list of words")
    for name, spec in value.items():
        if name == "_" or not _SET_REFERENCE.fullmatch("{" + str(name) + "}"):
            raise TaxonomyError(f"sets.{name}: a set name is lower-case letters and underscores")
        words, guard = (spec.get("words"), spec.get("not_followed_by")) if isinstance(spec, dict) else (spec, None)
        if not isinstance(words, list) or not words:
            raise TaxonomyError(f"sets.{name}: expected a non-empty list of words")
        normalised = sorted({normalise(str(w)).strip() for w in words} - {""}, key=lambda w: (-len(w), w))
        alternation = "|".join(re.escape(w) for w in normalised)
        if guard:
            try:
                re.compile(str(guard))
            except re.error as exc:
                raise TaxonomyError(f"sets.{name}.not_followed_by: bad regular expression: {exc}") from exc
            alternation = f"(?:{alternation})(?!{guard})"
        sets[str(name)] = f"(?:{alternation})"
    return sets


def expand_sets(pattern: str, sets: dict[str, str], where: str) -> str:
    """Replace each ``{name}`` in a pattern by its word set (``{0,4}`` is left alone)."""

    def word_set(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in sets:
            raise TaxonomyError(f"{where}: unknown word set {{{name}}} in {pattern!r}")
        return sets[name]

    return _SET_REFERENCE.sub(word_set, pattern)


def _fold_map(groups: Any) -> dict[str, str]:
    """``[[在, 再], …]`` → {再: 在}: each character folded onto the first of its group."""
    mapping: dict[str, str] = {}
    for group in groups or []:
        chars = [normalise(str(c)) for c in group] if isinstance(group, list) else []
        if len(chars) < 2 or any(len(c) != 1 for c in chars):
            raise TaxonomyError("homophones.pattern_fold: expected groups of single characters, e.g. [在, 再]")
        mapping.update({c: chars[0] for c in chars[1:]})
    return mapping


def weighted_raw(value: Any, where: str) -> tuple[tuple[str, float], ...]:
    """Like ``weighted_terms`` but keeps the strings verbatim (regular expressions)."""
    if value is None:
        return ()
    if not isinstance(value, dict):
        raise TaxonomyError(f"{where}: expected a mapping of weight → list")
    return tuple((str(p), float(w)) for w, items in value.items() for p in items)


def _emergency(spec: dict[str, Any], categories: dict[str, Category], sets: dict[str, str]) -> EmergencyRule:
    given = dict(spec.get("context") or {})
    window = int(given.pop("window", 8))
    context = {  # a list is a choice of alternatives, easier to read and comment than one long line
        name: expand_sets("|".join(map(str, value)) if isinstance(value, list) else str(value), sets,
                          f"emergency.context.{name}")
        for name, value in given.items()
    }
    everyday = spec.get("everyday") or {}
    if not isinstance(everyday, dict):
        raise TaxonomyError("emergency.everyday: expected a mapping with terms and sources")
    person = spec.get("needs_person") or {}
    if not isinstance(person, dict):
        raise TaxonomyError("emergency.needs_person: expected a mapping with terms and person")
    if not isinstance(spec.get("misreadings") or [], list):
        raise TaxonomyError("emergency.misreadings: expected a list of regular expressions")
    rule = EmergencyRule(
        category=_known(categories, str(spec.get("category", "emergency")), "emergency.category"),
        threshold=float(spec.get("threshold", 3)),
        hypothetical_to=_known(
            categories, str(spec.get("hypothetical_to", "safety")), "emergency.hypothetical_to"
        ),
        negated=str(context.get("negated", "")),
        hypothetical=str(context.get("hypothetical", "")),
        past=str(context.get("past", "")),
        hypothetical_after=str(context.get("hypothetical_after", "")),
        resolved=str(context.get("resolved", "")),
        negated_after=str(context.get("negated_after", "")),
        past_after=str(context.get("past_after", "")),
        whenever=str(context.get("whenever", "")),
        condition=str(context.get("condition", "")),
        window=window,
        past_weight=float(spec.get("past_weight", 0.5)),
        everyday_terms=frozenset(weighted_terms({0: everyday.get("terms") or []}, "emergency.everyday.terms")),
        everyday_sources=expand_sets(str(everyday.get("sources") or ""), sets, "emergency.everyday.sources"),
        person_terms=frozenset(weighted_terms({0: person.get("terms") or []}, "emergency.needs_person.terms")),
        person=expand_sets(str(person.get("person") or ""), sets, "emergency.needs_person.person"),
        without_person=float(person.get("without_person", 0.5)),
        misreadings=expand_sets(
            "|".join(f"(?:{p})" for p in spec.get("misreadings") or []), sets, "emergency.misreadings"
        ),
    )
    if rule.person_terms and not rule.person:
        raise TaxonomyError("emergency.needs_person.person: say how a person is named")
    for name in (
        "negated", "hypothetical", "past", "hypothetical_after", "past_after", "whenever", "condition", "resolved",
        "negated_after", "everyday_sources",
        "person", "misreadings",
    ):
        try:
            re.compile(getattr(rule, name))
        except re.error as exc:
            where = {
                "everyday_sources": "emergency.everyday.sources",
                "person": "emergency.needs_person.person",
                "misreadings": "emergency.misreadings",
            }.get(name, f"emergency.context.{name}")
            raise TaxonomyError(f"{where}: bad regular expression: {exc}") from exc
    return rule


def _alternatives(value: Any, sets: dict[str, str], where: str) -> str:
    """A list of regular expressions as one, checked now so a typo fails at load."""
    if not isinstance(value or [], list):
        raise TaxonomyError(f"{where}: expected a list of regular expressions")
    joined = expand_sets("|".join(f"(?:{p})" for p in value or []), sets, where)
    try:
        re.compile(joined)
    except re.error as exc:
        raise TaxonomyError(f"{where}: bad regular expression: {exc}") from exc
    return joined


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise TaxonomyError(f"{key}: expected a mapping")
    return value


def _known(categories: dict[str, Category], key: str, where: str) -> str:
    if key not in categories:
        raise TaxonomyError(f"{where}: unknown category {key!r}")
    return key
