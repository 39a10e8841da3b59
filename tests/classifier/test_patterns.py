"""Patterns run only where one of their literals occurs, with the same matches as running them all."""
import re

import pytest

from classifier import Classifier
from classifier.patterns import PatternSet, trigger


@pytest.mark.parametrize(
    ("pattern", "literals"),
    [
        ("(?:他|她)[^，]{0,4}(?:头晕|恶心)", ("头晕", "恶心")),  # the more selective of two required sets
        ("往外[^，]{0,2}(?:喷气|冒气)", ("往外",)),
        ("电梯(?:往下掉|下坠)", ("电梯下坠", "电梯往下掉")),  # adjacent literals join
        ("(?:着|烧)(?:起来|着了)", ("烧着了", "烧起来", "着着了", "着起来")),
        ("火|烟", ("烟", "火")),  # a top-level choice needs one literal from each branch
        ("(?<!不)[^，]{2}", None),  # nothing literal is required: always run
    ],
)
def test_trigger_is_what_every_match_must_contain(pattern: str, literals: tuple[str, ...] | None) -> None:
    found = trigger(pattern)
    assert (tuple(sorted(found)) if found else None) == (tuple(sorted(literals)) if literals else None)


PATTERNS = [
    "(?:老人|小孩)[^，]{0,4}(?:倒|摔)在",
    "煤气[^，]{0,4}(?:漏|味)",
    "(?:要|说要)[^，]{0,2}(?:杀|打死)",
    "(?<!不)[^，]{0,1}动了",
    "说要",  # a literal that is also the start of another pattern's literal
]
TEXTS = [
    "我家老人在卫生间摔在地上了",
    "楼道里煤气味很浓 小孩说要打死人",
    "说要杀人 又说要走",
    "推不动了 他动了",
    "今天天气不错",
]


@pytest.mark.parametrize("text", TEXTS)
def test_prefiltered_matches_equal_running_every_pattern(text: str) -> None:
    patterns = PatternSet([(p, i) for i, p in enumerate(PATTERNS)])
    brute = sorted((*m.span(1), i) for i, p in enumerate(PATTERNS) for m in re.finditer(f"(?=({p}))", text))
    assert sorted(patterns.spans(text)) == brute


def test_grammatical_sound_alikes_are_folded_for_patterns_only() -> None:
    patterns = PatternSet([("埋在[^，]{0,3}里面", 0)], fold={"再": "在"})
    assert patterns.spans("有个工人被埋再土里面了") == [(5, 10, 0)]  # offsets into the text as written


def test_the_shipped_patterns_read_a_misheard_particle(clf: Classifier) -> None:
    routing = clf.classify("喂 工地上有个人被埋再沙子里了 快来")
    assert (routing.category, routing.urgency) == ("emergency", 1)
