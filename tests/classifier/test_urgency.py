"""Urgency: level 1 beats everything, but only for real, present danger."""
import pytest

from classifier import Classifier


@pytest.mark.parametrize(
    "text",
    [
        "电梯又坏了物业也不管 现在有个老人被困在里面出不来",  # elevator words point to property
        "隔壁饭店油烟太大了 现在厨房着火了",  # sanitation words, then a fire
        "邻居吵架吵着吵着打起来了 有人头被打破了在流血",  # a neighbour dispute turned violent
        "我闻到楼道里有很浓的煤气味",
        "楼上有人说要跳楼 已经站到窗台上了",
        "有个老人在花园里晕倒了叫不醒",
        "小区门口有人拿着刀追着人砍",
    ],
)
def test_immediate_danger_is_level_one_whatever_else_is_said(clf: Classifier, text: str) -> None:
    routing = clf.classify(text)
    assert (routing.category, routing.department, routing.urgency) == ("emergency", "emergency", 1)


@pytest.mark.parametrize(
    ("text", "category", "urgency"),
    [
        ("楼道里好多电动车充电 万一着火就完了", "safety", 2),  # hypothetical
        ("上次楼道着火以后灭火器一直没有补上", "safety", 2),  # past
        ("外墙瓷砖掉下来砸坏了一辆车 还好没有人受伤", "safety", 2),  # negated
        ("电梯昨天把人困了半个小时 人出来了没事 可物业还是不修", "property", 3),  # over
        ("小区的消防通道被私家车堵死了", "safety", 2),  # a hazard, not an emergency
    ],
)
def test_negated_past_or_hypothetical_danger_is_not_level_one(
    clf: Classifier, text: str, category: str, urgency: int
) -> None:
    routing = clf.classify(text)
    assert (routing.category, routing.urgency) == (category, urgency)


def test_hazard_words_make_another_category_level_two(clf: Classifier) -> None:
    routing = clf.classify("小区配电箱的门坏了 里面的电线裸露在外面")
    assert (routing.category, routing.urgency) == ("power", 2)
    assert any("裸露" in k.term for k in routing.keywords)  # the keyword that set the urgency


@pytest.mark.parametrize(
    "text", ["我想咨询一下办理居住证需要带哪些材料", "我想表扬一下社区的王阿姨", "建议社区多组织一些老年人的活动"]
)
def test_enquiries_suggestions_and_praise_are_level_four(clf: Classifier, text: str) -> None:
    routing = clf.classify(text)
    assert (routing.category, routing.urgency) == ("other", 4)


def test_misconduct_is_confidential_and_beats_staff_attitude(clf: Classifier) -> None:
    routing = clf.classify("社区工作人员态度很差 办低保还要收红包 不给就不办")
    assert (routing.category, routing.department, routing.confidential) == ("misconduct", "jijian", True)


def test_ambiguous_text_needs_review(clf: Classifier) -> None:
    unclear = clf.classify("那个东西又不行了 你们来看看吧")
    assert unclear.needs_review and unclear.confidence < 0.5
    split = clf.classify("电梯坏了物业不管 楼道的垃圾也没人清运")
    assert split.needs_review and split.runner_up in {"property", "sanitation"}
    clear = clf.classify("社区卫生服务中心的医生看病很敷衍 护士态度也不好")
    assert not clear.needs_review and clear.confidence >= 0.5
