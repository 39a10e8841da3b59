"""The taxonomy is configuration: a deployment's own file, validated, compiled once and cached."""
from pathlib import Path

import pytest

from classifier import Classifier, TaxonomyError, load_classifier
from classifier.taxonomy import DEFAULT_TAXONOMY, load_taxonomy

SMALL = """
departments: {desk: 服务台, rescue: 应急}
fallback: general
categories:
  parking:
    name: 停车
    department: desk
    urgency: 3
    keywords: {5: [停车位, 乱停车]}
  general:
    name: 其他
    department: desk
    urgency: 4
    keywords: {3: [请问]}
  danger:
    name: 紧急
    department: rescue
    urgency: 1
    keywords: {5: [着火]}
emergency: {category: danger, hypothetical_to: parking}
homophones: {known_confusions: [着火]}
"""


def test_default_taxonomy_matches_the_documented_one() -> None:
    taxonomy = load_taxonomy()
    assert len(taxonomy.categories) == 14
    assert taxonomy.categories["misconduct"].confidential
    assert taxonomy.categories["misconduct"].department == "jijian"
    assert taxonomy.categories["safety"].urgency == 2 and taxonomy.categories["other"].urgency == 4
    assert taxonomy.departments["gongdian"].startswith("供电公司")


def test_a_deployment_can_bring_its_own_taxonomy(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(SMALL, encoding="utf-8")
    clf = load_classifier(taxonomy_path=path, cache_dir=tmp_path / "cache")
    assert clf.classify("小区里到处乱停车").category == "parking"
    assert clf.classify("楼下找火了").category == "danger"  # sound matching works for any taxonomy
    nothing = clf.classify("今天天气不错")
    assert (nothing.category, nothing.needs_review, nothing.urgency) == ("general", True, 4)


def test_compiled_taxonomy_is_cached_and_rebuilt_when_the_file_changes(tmp_path: Path) -> None:
    path, cache = tmp_path / "taxonomy.yaml", tmp_path / "cache"
    path.write_text(SMALL, encoding="utf-8")
    assert load_classifier(taxonomy_path=path, cache_dir=cache).classify("请问垃圾").category == "general"
    assert len(list((cache / "classifier").glob("compiled-*.pickle"))) == 1
    path.write_text(SMALL.replace("[停车位, 乱停车]", "[停车位, 乱停车, 垃圾]"), encoding="utf-8")
    assert load_classifier(taxonomy_path=path, cache_dir=cache).classify("请问垃圾").category == "parking"


def test_a_damaged_cache_is_rebuilt(tmp_path: Path) -> None:
    path, cache = tmp_path / "taxonomy.yaml", tmp_path / "cache"
    path.write_text(SMALL, encoding="utf-8")
    load_classifier(taxonomy_path=path, cache_dir=cache)
    for compiled in (cache / "classifier").glob("compiled-*.pickle"):
        compiled.write_bytes(b"not a pickle")
    assert load_classifier(taxonomy_path=path, cache_dir=cache).classify("乱停车").category == "parking"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("categories: [a, b]", "departments: expected a mapping"),
        (SMALL.replace("department: desk\n    urgency: 3", "department: nowhere\n    urgency: 3"),
         "categories.parking.department: unknown department 'nowhere'"),
        (SMALL.replace("urgency: 4", "urgency: 7"), "categories.general.urgency: must be an integer 1-4"),
        (SMALL.replace("{5: [停车位, 乱停车]}", "{heavy: [停车位]}"), "weight 'heavy' is not a number"),
        (SMALL.replace("fallback: general", "fallback: nobody"), "fallback: unknown category 'nobody'"),
        ("departments: {a: [", "cannot read"),
        (SMALL.replace("{5: [停车位, 乱停车]}", "{5: [停车位], 5: [乱停车]}"), "key 5 appears twice"),
        (SMALL.replace("keywords: {5: [着火]}", "keywords: {5: [着火]}\n    patterns: {5: ['{nobody}着火']}"),
         r"unknown word set \{nobody\}"),
        (SMALL + "sets: {who: {words: [老人], not_followed_by: '[的'}}\n", r"sets.who.not_followed_by: bad regular"),
        (SMALL.replace("emergency: {category: danger,", "emergency: {needs_person: {terms: [被压]}, category: danger,"),
         "emergency.needs_person.person: say how a person is named"),
        (SMALL.replace("emergency: {category: danger,", "emergency: {misreadings: '跳楼价', category: danger,"),
         "emergency.misreadings: expected a list"),
        (SMALL + "urgency: {hazard_patterns: {3: ['(?:漏电']}}\n", "urgency.hazard_patterns: bad regular expression"),
    ],
)
def test_a_malformed_taxonomy_fails_with_the_field_named(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TaxonomyError, match=message) as error:
        load_classifier(taxonomy_path=path)
    assert str(path) in str(error.value)


def test_a_missing_taxonomy_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(TaxonomyError, match="cannot read taxonomy"):
        load_classifier(taxonomy_path=tmp_path / "nowhere.yaml")


def test_default_taxonomy_ships_inside_the_package() -> None:
    assert DEFAULT_TAXONOMY.parent.name == "classifier" and DEFAULT_TAXONOMY.is_file()


def with_danger_pattern(tmp_path: Path, pattern: str, who: str) -> Classifier:
    """The small taxonomy whose danger category also has ``pattern``, with the word set ``who``."""
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        SMALL.replace("keywords: {5: [着火]}", f"keywords: {{5: [着火]}}\n    patterns: {{5: ['{pattern}']}}")
        + f"sets: {{who: {who}}}\n",
        encoding="utf-8",
    )
    return load_classifier(taxonomy_path=path, cache_dir=tmp_path / "cache")


def test_patterns_name_word_sets_and_stay_within_a_clause(tmp_path: Path) -> None:
    """{who} stands for every word of the set; {_} is one character of the same clause."""
    clf = with_danger_pattern(tmp_path, "{who}{_}{0,4}摔倒了", "[老人, 小孩]")
    routing = clf.classify("门口有个小孩刚刚摔倒了")
    assert routing.category == "danger"
    assert [k.matched for k in routing.keywords] == ["小孩刚刚摔倒了"]
    assert clf.classify("小孩不在家，摔倒了").category != "danger"  # the gap never crosses a comma


def test_a_word_set_can_refuse_words_followed_by_something(tmp_path: Path) -> None:
    """我的钥匙掉进水里: 我 owns the keys, it is not who fell in."""
    clf = with_danger_pattern(tmp_path, "{who}{_}{0,4}掉进水里", "{words: [我, 老人], not_followed_by: '[的]'}")
    assert clf.classify("我刚才掉进水里了").category == "danger"
    assert clf.classify("我的钥匙掉进水里了").category != "danger"
    assert clf.classify("我的老人掉进水里了").category == "danger"  # the owned word is a person itself


def test_level_one_words_can_need_a_person_and_have_harmless_readings(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(
        SMALL.replace("keywords: {5: [着火]}", "keywords: {5: [着火, 被压, 跳楼]}").replace(
            "emergency: {category: danger,",
            "emergency: {needs_person: {terms: [被压], person: '老人'}, misreadings: ['跳楼价'], category: danger,",
        ),
        encoding="utf-8",
    )
    clf = load_classifier(taxonomy_path=path, cache_dir=tmp_path / "cache")
    assert clf.classify("有个老人被压住了").category == "danger"
    assert clf.classify("停车位被压坏了").category == "parking"
    assert clf.classify("停车位跳楼价").category == "parking"
    assert clf.classify("有人要跳楼").category == "danger"
