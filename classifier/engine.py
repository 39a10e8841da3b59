"""Scoring matched keywords into a route.

Rules, in order of importance:
1. A level-1 word (fire, gas leak, injury, someone trapped, threatening to jump,
   weapon…) routes to emergency on its own, whatever else the text says, unless
   the words around it make it negated (没有人受伤, 吵得我想死, 跟杀人一样), over
   (人出来了没事) or a dispute about who pays: then it is ignored; hypothetical
   (万一着火, 差点着火): then it counts for the safety-hazard category instead; past
   (去年淹死过人): then it counts for the hazard category at a fraction of its weight.
   A level-1 word inside a harmless phrase (跳楼价, 窗户上吊根线) is no level-1 word;
   one that says what happened to something (被压, 掉进) needs a person near it, or
   it counts for less and never raises the alarm without another sign of danger.
2. Otherwise the category with the highest keyword score wins, except that an intent
   (asking, suggesting, praising) with enough evidence outweighs the subject it names,
   and a category may outrank another when it has enough evidence (misconduct over
   staff attitude); ties follow the taxonomy's order.
3. Urgency is the category's default, lowered to the hazard level when a hazard
   word or pattern (exposed wires, risk of collapse…) is present — not for an intent.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass

from classifier.index import PINYIN, TAXONOMY, Hit, KeywordIndex
from classifier.routing import Keyword, Routing
from classifier.taxonomy import Category, Taxonomy
from classifier.text import CLAUSE_BREAKS, normalise

ACTUAL, NEGATED, PAST, RESOLVED, HYPOTHETICAL = "actual", "negated", "past", "resolved", "hypothetical"
RESOLVED_REACH = 24  # characters after a level-1 word searched for "it is over"


class EmptyTextError(ValueError):
    """There is nothing to classify."""


HAZARD = "hazard"  # the evidence key of hazard words (they set urgency, not category)
Used = tuple[Hit, float, str]  # a hit, the weight it added, its source


@dataclass
class _Evidence:
    scores: dict[str, float]
    negative: dict[str, float]
    hazard: float
    used: dict[str, list[Used]]  # category (or HAZARD) → what counted for it
    personless: float = 0.0  # level-1 weight from words that name no person (一动不动 of a lift)


class Classifier:
    def __init__(self, taxonomy: Taxonomy, index: KeywordIndex) -> None:
        self.taxonomy = taxonomy
        self.index = index
        rule = taxonomy.emergency
        self._negated = re.compile(rule.negated) if rule.negated else None
        self._past = re.compile(rule.past) if rule.past else None
        self._hypothetical = re.compile(rule.hypothetical) if rule.hypothetical else None
        self._after = re.compile(rule.hypothetical_after) if rule.hypothetical_after else None
        self._past_after = re.compile(rule.past_after) if rule.past_after else None
        self._whenever = re.compile(rule.whenever) if rule.whenever else None
        self._condition = re.compile(rule.condition) if rule.condition else None
        self._resolved = re.compile(rule.resolved) if rule.resolved else None
        self._negated_after = re.compile(rule.negated_after) if rule.negated_after else None
        self._everyday = re.compile(rule.everyday_sources) if rule.everyday_sources else None
        self._person = re.compile(rule.person) if rule.person else None
        self._misreadings = re.compile(f"(?=({rule.misreadings}))") if rule.misreadings else None
        self._order = {key: i for i, key in enumerate(taxonomy.categories)}
        self._set_aside = re.compile(taxonomy.set_aside) if taxonomy.set_aside else None

    def classify(self, text: str) -> Routing:
        if not isinstance(text, str) or not text.strip():
            raise EmptyTextError("text is empty: nothing to classify")
        normalised = normalise(text)
        # The words around a keyword are read as heard too: 新脏病 is the 心脏病 someone lives with.
        heard, hits = self.index.scan(normalised)
        evidence = self._collect(heard, hits)
        return self._route(text, evidence)

    def context(self, text: str, start: int, end: int) -> str:
        """How a level-1 word at ``text[start:end]`` is meant: actual, negated, past, resolved
        or hypothetical."""
        window = self.taxonomy.emergency.window
        left = start
        while left > 0 and start - left < window and text[left - 1] not in CLAUSE_BREAKS:
            left -= 1
        before = text[left:start]
        if self._negated and self._negated.search(before):
            return NEGATED
        if self._negated_after and self._negated_after.match(text, end):
            return NEGATED
        if self._hypothetical and self._hypothetical.search(before):  # 上回差点着火: a near miss, a hazard
            return HYPOTHETICAL
        if self._whenever and self._whenever.search(before) and not text.startswith("了", end):
            return HYPOTHETICAL  # 一点火就着: whenever; 一回家就晕倒了: it happened
        if self._past and self._past.search(before):
            return PAST
        if self._consequence(text, left):  # 要是着火了 烟全窜上来: the smoke is as hypothetical as the fire
            return HYPOTHETICAL
        right = end
        while right < len(text) and right - end < window and text[right] not in CLAUSE_BREAKS:
            right += 1
        if self._after and self._after.search(text[end:right]):
            return HYPOTHETICAL
        if self._past_after and self._past_after.search(text[end:right]):
            return PAST
        if self._resolved and self._resolved.search(text, end, end + RESOLVED_REACH):
            return RESOLVED
        return ACTUAL

    def _consequence(self, text: str, left: int) -> bool:
        """Whether the clause starting at ``left`` follows a clause that is a whole condition
        (要是着火了, 万一漏气的话): what it says is the consequence, no more real than the condition."""
        if self._condition is None or left == 0:
            return False
        end = left
        while end > 0 and text[end - 1] in CLAUSE_BREAKS:
            end -= 1
        start = end
        while start > 0 and text[start - 1] not in CLAUSE_BREAKS:
            start -= 1
        return end > start and self._condition.search(text, start, end) is not None

    def _level_one(self, text: str, hit: Hit, term: str, weight: float) -> tuple[str, float, bool] | None:
        """What a level-1 word found at ``hit`` counts for: (category, weight, whether it names
        no person), or None when its context says it is no danger at all."""
        emergency = self.taxonomy.emergency
        category, personless = emergency.category, False
        if term in emergency.person_terms and not self._names_person(text, hit.start, hit.end):
            personless, weight = True, weight * emergency.without_person
        meaning = self.context(text, hit.start, hit.end)
        if meaning in (NEGATED, RESOLVED):
            return None
        if meaning == PAST:  # it happened before: a sign of a hazard, worth less
            category, weight = emergency.hypothetical_to, weight * emergency.past_weight
        if meaning == HYPOTHETICAL:  # a danger that may happen: evidence of a hazard
            category = emergency.hypothetical_to
        return category, weight, personless and category == emergency.category

    def _misread_spans(self, text: str) -> list[tuple[int, int]]:
        """Where a level-1 word is part of a harmless phrase (跳楼价, 窗户上吊根线)."""
        return [match.span(1) for match in self._misreadings.finditer(text)] if self._misreadings else []

    def _names_person(self, text: str, start: int, end: int) -> bool:
        """Whether ``text[start:end]`` says who it happened to: 有个工人被压在下面 is a person,
        减速带被压烂了 a thing. Searched in its clause and the one before (a spoken sentence
        names the person once: 有个人被电打了 倒在地上不动了)."""
        if self._person is None:
            return True
        window = self.taxonomy.emergency.window
        left, right, breaks = start, end, 0
        while left > 0 and start - left < 2 * window:
            if text[left - 1] in CLAUSE_BREAKS and text[left] not in CLAUSE_BREAKS:  # "，" and "， " alike
                breaks += 1
                if breaks == 2:
                    break
            left -= 1
        while right < len(text) and right - end < window and text[right] not in CLAUSE_BREAKS:
            right += 1
        return self._person.search(text, left, right) is not None

    def _collect(self, text: str, hits: list[Hit]) -> _Evidence:
        taxonomy, terms = self.taxonomy, self.index.terms
        emergency = taxonomy.emergency
        rule = taxonomy.homophones
        evidence = _Evidence({}, {}, 0.0, {})
        counted: set[tuple[int, str, str]] = set()
        # Smoke next to a named everyday source (burning rubbish, a barbecue) is a nuisance.
        everyday = emergency.everyday_terms if self._everyday and self._everyday.search(text) else frozenset()
        misread: list[tuple[int, int]] | None = None  # spans of harmless phrases, found when first needed
        # "我不是说吵架啊 就是…": the words of a clause the caller sets aside name no category
        # (level-1 words keep their own context rules: recall comes first)
        aside = [m.span() for m in self._set_aside.finditer(text)] if self._set_aside else []
        for hit in hits:
            term = terms[hit.term]
            discounted = any(start <= hit.start and hit.end <= end for start, end in aside)
            factor = 1.0
            if hit.via == PINYIN:  # two-syllable sound-alikes are the least certain
                short = hit.end - hit.start == 2 and term.text not in rule.known_confusions
                factor = rule.two_syllable_weight if short else rule.weight
            for category, weight, source in term.entries:
                personless = False
                if category == emergency.category:
                    if term.text in everyday:
                        continue
                    if misread is None:
                        misread = self._misread_spans(text)
                    if any(start <= hit.start and hit.end <= end for start, end in misread):
                        continue
                    reading = self._level_one(text, hit, term.text, weight)
                    if reading is None:
                        continue
                    category, weight, personless = reading
                elif discounted:
                    continue
                if (hit.term, category, source) in counted:
                    continue
                counted.add((hit.term, category, source))
                evidence.scores[category] = evidence.scores.get(category, 0.0) + weight * factor
                evidence.used.setdefault(category, []).append((hit, weight * factor, source))
                if personless:
                    evidence.personless += weight * factor
            for category, weight in term.negative:
                if discounted:
                    break
                evidence.negative[category] = evidence.negative.get(category, 0.0) + weight
            if term.hazard and self.context(text, hit.start, hit.end) != NEGATED:  # 没砸到人: no hazard
                evidence.hazard += term.hazard * factor
                evidence.used.setdefault(HAZARD, []).append((hit, term.hazard * factor, TAXONOMY))
        return evidence

    def _route(self, original: str, evidence: _Evidence) -> Routing:
        taxonomy = self.taxonomy
        emergency = taxonomy.emergency.category
        scores = {
            key: max(0.0, score - evidence.negative.get(key, 0.0))
            for key, score in evidence.scores.items()
        }
        level_one = scores.get(emergency, 0.0)
        # words that name no person support an alarm but never raise one between themselves
        if level_one >= taxonomy.emergency.threshold and level_one > evidence.personless:
            ranked = [emergency] + self._ranked(scores, exclude=emergency)
        else:
            ranked = self._ranked(scores, exclude=emergency)
            ranked = self._apply_intent(ranked, scores)
            ranked = self._apply_outranks(ranked, scores)
        ranked = [key for key in ranked if scores[key] > 0]

        if not ranked:  # nothing recognised: the fallback, for a dispatcher to look at
            fallback = taxonomy.categories[taxonomy.fallback]
            return self._routing(
                fallback, [], original,
                urgency=self._urgency(fallback.key, evidence.hazard), confidential=fallback.confidential,
                confidence=0.0, needs_review=True, runner_up=None,
            )
        top = ranked[0]
        runner_up = ranked[1] if len(ranked) > 1 else None
        best, second = scores[top], scores[runner_up] if runner_up else 0.0
        confidence = round((best / (best + second)) * (1.0 - math.exp(-best / 3.0)), 3)
        review = taxonomy.review
        category = taxonomy.categories[top]
        urgency = self._urgency(top, evidence.hazard)
        used = evidence.used.get(top, [])
        if urgency < category.urgency:  # the hazard words explain the urgency
            used = used + evidence.used.get(HAZARD, [])
        return self._routing(
            category, used, original,
            urgency=urgency,
            # a close misconduct runner-up is protected too: better hidden than exposed
            confidential=category.confidential or bool(runner_up and taxonomy.categories[runner_up].confidential),
            confidence=confidence,
            needs_review=confidence < review.min_confidence or second >= review.close_ratio * best,
            runner_up=runner_up,
        )

    def _ranked(self, scores: dict[str, float], exclude: str) -> list[str]:
        keys = [k for k in scores if k != exclude]
        return sorted(keys, key=lambda k: (-scores[k], self._order[k]))

    def _apply_intent(self, ranked: list[str], scores: dict[str, float]) -> list[str]:
        """A clear intent (a question, a suggestion, praise) outweighs the subject it names:
        "建议多装几个长椅" is a suggestion about benches, not a complaint about them."""
        leading = scores[ranked[0]] if ranked else 0.0
        for key in ranked:
            intent = self.taxonomy.categories[key].intent
            if intent and scores[key] >= intent.min_score and scores[key] >= intent.min_share * leading:
                return [key] + [k for k in ranked if k != key]
        return ranked

    def _apply_outranks(self, ranked: list[str], scores: dict[str, float]) -> list[str]:
        if not ranked:
            return ranked
        top = ranked[0]
        for key in ranked[1:]:
            needed = self.taxonomy.categories[key].outranks.get(top)
            if needed is not None and scores[key] >= needed:
                return [key] + [k for k in ranked if k != key]
        return ranked

    def _urgency(self, category: str, hazard: float) -> int:
        """The category's urgency, raised to the hazard level by hazard words; a question,
        suggestion or praise (an intent category) keeps its own: nothing needs fixing."""
        spec = self.taxonomy.categories[category]
        urgency = spec.urgency
        if hazard >= self.taxonomy.hazard_threshold and spec.intent is None:
            urgency = min(urgency, self.taxonomy.hazard_urgency)
        return urgency

    def _routing(
        self, category: Category, used: list[Used], original: str, *,
        urgency: int, confidential: bool, confidence: float, needs_review: bool, runner_up: str | None,
    ) -> Routing:
        terms = self.index.terms
        keywords = [
            Keyword(
                term=terms[hit.term].text,
                matched=original[hit.start : hit.end],
                start=hit.start,
                end=hit.end,
                weight=round(weight, 3),
                via=hit.via,
                source=source,
            )
            for hit, weight, source in sorted(used, key=lambda u: (u[0].start, u[0].end))
        ]
        return Routing(
            category=category.key,
            category_name=category.name,
            department=category.department,
            department_name=self.taxonomy.departments[category.department],
            urgency=urgency,
            confidential=confidential,
            confidence=confidence,
            needs_review=needs_review,
            runner_up=runner_up,
            keywords=keywords,
        )
