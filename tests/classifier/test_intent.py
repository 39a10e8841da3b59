"""Intent: a question, a suggestion or praise is 'other' whatever subject it names.

The sentences are the classifier author's own, not taken from any held-out set.
"""
from pathlib import Path

import pytest

from classifier import Classifier, TaxonomyError, load_classifier


@pytest.mark.parametrize(
    "text",
    [
        "建议在小区门口装个反光镜 拐弯的地方看不到车",  # a suggestion that names a facility
        "我有个建议 公交站那里加个遮雨棚吧 下雨天都淋湿了",
        "我想问问 停电的时候去哪里能查到什么时候来电",  # a question about the power company
        "你好 我想问问 养猫需要去哪里登记吗",  # a yes-or-no question about a procedure
        "我想表扬一下物业的维修师傅 半夜来帮我们修水管",  # praise of someone whose work is a subject
        "谢谢供电所的师傅 停电半个小时就修好了 特别及时",
        "喂 我是打电话来感谢的 上回反映的噪音问题 现在晚上安静多了",
    ],
)
def test_an_intent_outweighs_the_subject_it_names(clf: Classifier, text: str) -> None:
    routing = clf.classify(text)
    assert (routing.category, routing.department, routing.urgency) == ("other", "juweihui", 4)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("我想问问 楼下的垃圾都堆三天了 到底有没有人管", "sanitation"),  # a rhetorical question
        ("请问物业凭什么又涨物业费 服务一点都没变好", "property"),
        ("想问问为什么我们这一片老是停电 一个星期停了三回", "power"),
        ("建议你们管一管 楼下的广场舞天天跳到十点 吵得睡不着", "noise"),  # a remedy for a nuisance
        ("我想咨询一下 公司拖欠工资三个月了 去哪里投诉", "labor"),  # 12333 answers its own questions
    ],
)
def test_a_complaint_phrased_as_a_question_or_suggestion_stays_a_complaint(
    clf: Classifier, text: str, category: str
) -> None:
    """Grievance words (到底, 凭什么, 天天, 投诉…) take the intent's evidence away."""
    assert clf.classify(text).category == category


def test_a_subject_far_better_evidenced_than_the_intent_still_wins(clf: Classifier) -> None:
    """怕哪天 (afraid that some day) is no question about a date: a tree about to fall is a hazard."""
    routing = clf.classify("那棵大树歪得厉害 我怕哪天倒下来砸到人")
    assert (routing.category, routing.urgency) == ("safety", 2)


def test_hazard_words_do_not_raise_the_urgency_of_praise(clf: Classifier) -> None:
    routing = clf.classify("我们楼想给街道送面锦旗 上次消防通道的事处理得特别快")
    assert (routing.category, routing.urgency) == ("other", 4)


@pytest.mark.parametrize(("misheard", "meant"), [("表洋", "表扬"), ("见意", "建议")])
def test_intent_markers_are_heard_through_the_recogniser(clf: Classifier, misheard: str, meant: str) -> None:
    text = {"表洋": "我想表洋一下我们小区的保洁阿姨 楼道扫得特别干净", "见意": "见意社区多办几场健康讲座"}[misheard]
    routing = clf.classify(text)
    assert routing.category == "other"
    assert any(meant in k.term and k.matched.startswith(misheard) and k.via == "pinyin" for k in routing.keywords)


def test_a_plain_word_is_not_read_as_an_intent_marker(clf: Classifier) -> None:
    """简易 (jian-yi, makeshift) sounds like 建议 but is an everyday word."""
    routing = clf.classify("有人在楼道里搭了个简易棚子 还放了煤气罐")
    assert routing.category == "safety" and all(k.term != "建议" for k in routing.keywords)


TAXONOMY = """
departments: {desk: 服务台}
fallback: ask
categories:
  lights:
    name: 路灯
    department: desk
    urgency: 3
    keywords: {5: [路灯, 不亮]}
  ask:
    name: 咨询
    department: desk
    urgency: 4
    intent: INTENT
    keywords: {4: [请问, 建议]}
  danger:
    name: 紧急
    department: desk
    urgency: 1
    keywords: {5: [着火]}
emergency: {category: danger, hypothetical_to: lights}
homophones: {}
"""


def test_intent_is_configured_per_category(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(TAXONOMY.replace("INTENT", "{min_score: 4, min_share: 0.5}"), encoding="utf-8")
    clf = load_classifier(taxonomy_path=path)
    assert clf.classify("建议多装几个路灯").category == "ask"  # 4 against 5: enough intent, enough share
    assert clf.classify("路灯不亮 请问").category == "lights"  # 4 against 10: the subject wins
    path.write_text(TAXONOMY.replace("    intent: INTENT\n", ""), encoding="utf-8")
    assert load_classifier(taxonomy_path=path).classify("建议多装几个路灯").category == "lights"


def test_a_malformed_intent_is_named(tmp_path: Path) -> None:
    path = tmp_path / "taxonomy.yaml"
    path.write_text(TAXONOMY.replace("INTENT", "6"), encoding="utf-8")
    with pytest.raises(TaxonomyError, match=r"categories.ask.intent: expected a mapping"):
        load_classifier(taxonomy_path=path)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a disclaimer: the caller sets a subject aside before naming the real one
        ("我不是说跟他们家有纠纷啊 就是楼上天天夜里蹦迪 吵得孩子睡不着", "noise"),
        ("我不是反映谁的态度 是村干部把低保名额给了自己家亲戚", "misconduct"),
        # a concession: what is fine is no subject
        ("居委会的人态度挺好的 就是我们楼的路灯坏了半个月了", "facility"),
        # a referral that brought the caller here
        ("物业说这个不归他们管 叫我打你们这个电话 是我们家门口的垃圾一个礼拜没人清", "sanitation"),
    ],
)
def test_a_subject_the_caller_sets_aside_does_not_decide_the_category(
    clf: Classifier, text: str, category: str
) -> None:
    assert clf.classify(text).category == category
