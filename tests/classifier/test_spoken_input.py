"""What callers actually produce: fillers, no punctuation, Traditional characters, homophones."""
import pytest

from classifier import Classifier, EmptyTextError


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("樓道裡的垃圾桶滿了好幾天沒人清運 臭得不行", "sanitation"),
        ("社區衛生服務中心的醫生看病很敷衍", "health"),
        ("我們小區停電了 冰箱裡的東西都壞了", "power"),
    ],
)
def test_traditional_characters(clf: Classifier, text: str, category: str) -> None:
    assert clf.classify(text).category == category


def test_fillers_and_no_punctuation(clf: Classifier) -> None:
    routing = clf.classify("喂 那个 就是 嗯 我们楼上那个 就是天天半夜跺脚 那个吵得我根本睡不着啊")
    assert (routing.category, routing.urgency) == ("noise", 3)


@pytest.mark.parametrize(
    ("text", "misheard", "keyword", "category"),
    [
        ("我们小区的电梯坏了无业也不管", "无业", "物业", "property"),
        ("想请居为会来调解一下邻居纠纷", "居为会", "居委会", "neighbor"),
        ("小区的路等坏了晚上黑漆漆的", "路等", "路灯", "facility"),
        ("我们这一片又停点了", "停点", "停电", "power"),
        ("社区医院的一生看病很敷衍", "一生", "医生", "health"),
        ("快来人 楼下找火了", "找火", "着火", "emergency"),
        ("楼道里一股很浓的没气味", "没气味", "煤气味", "emergency"),
        ("小齐门口的垃圾站臭死了", "小齐", None, "sanitation"),
    ],
)
def test_speech_recognition_homophones(
    clf: Classifier, text: str, misheard: str, keyword: str | None, category: str
) -> None:
    routing = clf.classify(text)
    assert routing.category == category
    if keyword:  # found by sound: 路等 as 路灯 (or as part of a longer keyword, 灯坏了)
        start = text.index(misheard)
        heard = [k for k in routing.keywords if k.via == "pinyin" and k.start < start + len(misheard) and start < k.end]
        assert heard, routing.keywords
        assert all(text[k.start : k.end] == k.matched for k in heard)


@pytest.mark.parametrize(
    "text",
    [
        "我们的一生都在这个小区度过",  # 一生 is a lifetime here, but shares no telling sound with a keyword context
        "大伙儿都觉得这个活动办得好",  # 大伙 must not become 大火
        "楼下大人小孩都喜欢这个公园",  # 大人 must not become 打人
        "我们大家都很满意",  # 大家 must not become 打架
    ],
)
def test_plain_words_do_not_turn_into_emergencies(clf: Classifier, text: str) -> None:
    assert clf.classify(text).urgency != 1


def test_short_homophone_needs_a_shared_character(clf: Classifier) -> None:
    """的保 (de-bao) is not 低保 (di-bao): 的 is read "de" and shares nothing telling."""
    routing = clf.classify("我想表扬我们小区的保安")
    assert all(k.term != "低保" for k in routing.keywords)
    assert routing.category == "other"


def test_keywords_point_into_the_original_text(clf: Classifier) -> None:
    text = "喂，樓道裡著火了！"
    routing = clf.classify(text)
    assert routing.category == "emergency"
    assert any(text[k.start : k.end] == k.matched == "著火" for k in routing.keywords)
    assert routing.to_dict()["keywords"][0].keys() == {
        "term", "matched", "start", "end", "weight", "via", "source",
    }


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_empty_text_is_a_clear_error(clf: Classifier, text: str) -> None:
    with pytest.raises(EmptyTextError, match="empty"):
        clf.classify(text)


def test_a_polyphonic_keyword_matches_its_characters_everyday_sound(clf: Classifier) -> None:
    """着火 is read zhao-huo as a phrase, but the recogniser may write 着伙 (zhe-huo) as well as 找火."""
    routing = clf.classify("喂 我们楼下饭店着伙了")
    assert routing.urgency == 1 and any(k.term == "着火" and k.matched == "着伙" for k in routing.keywords)


def test_a_known_misheard_word_outweighs_a_weak_word_it_crosses(clf: Classifier) -> None:
    """In 云倒了 the written 倒了 (weak) and the misheard 晕倒 (known confusion) overlap: 晕倒 wins."""
    routing = clf.classify("我爷爷在厨房云倒了")
    assert routing.urgency == 1 and any(k.term == "晕倒" for k in routing.keywords)


@pytest.mark.parametrize("text", ["这条河边上的路灯坏了好几个", "楼下这火锅店的油烟太大了", "我们村一到晚上电压就不够"])
def test_common_phrases_are_not_read_as_misheard_keywords(clf: Classifier, text: str) -> None:
    """条河 is not 跳河, 这火 (in 这火锅) is not 着火, 村一 (in 一到) is not 村医."""
    routing = clf.classify(text)
    assert routing.urgency != 1 and all(k.term not in {"跳河", "着火", "村医"} for k in routing.keywords)


def test_a_word_that_only_counts_against_a_category_hides_no_keyword(clf: Classifier) -> None:
    """一直没 (a grievance word, held against "other") overlaps 没电: the outage still counts."""
    routing = clf.classify("从早上八点到现在一直没电")
    assert routing.category == "power"
    assert "没电" in [keyword.term for keyword in routing.keywords]


def test_patterns_read_a_misheard_keyword_as_the_word_it_sounds_like(clf: Classifier) -> None:
    """景盖 is heard for 井盖: the stolen-manhole-cover pattern still fires, as a sound-alike
    (it counts less than the written word would)."""
    routing = clf.classify("人行道上的景盖被人偷了 就剩个大洞")
    assert (routing.category, routing.urgency) == ("safety", 2)
    heard = [keyword for keyword in routing.keywords if keyword.matched.startswith("景盖被人偷")]
    assert heard and all(keyword.via == "pinyin" for keyword in heard)
    written = clf.classify("人行道上的井盖被人偷了 就剩个大洞")
    assert max(k.weight for k in written.keywords) > max(k.weight for k in routing.keywords)


def test_a_two_syllable_sound_alike_feeds_no_pattern(clf: Classifier) -> None:
    """拿到 sounds like 拿刀, but is not a known confusion: no weapon pattern, no alarm."""
    routing = clf.classify("菜市场卖猪肉的 秤有问题 我拿到公平秤一称 少了3两")
    assert routing.category == "consumer"
    assert routing.urgency == 3


def test_the_words_around_a_keyword_are_read_as_heard_too(clf: Classifier) -> None:
    """新脏病 is heard for 心脏病: "有心脏病" is a condition someone lives with, not an attack,
    however the recogniser spelt it."""
    routing = clf.classify("我想问一下 我家老人有新脏病 能不能申请那个紧急呼叫的设备")
    assert routing.urgency != 1
    assert clf.classify("快来人 我家老人心脏病犯了 倒在地上不动了").urgency == 1
