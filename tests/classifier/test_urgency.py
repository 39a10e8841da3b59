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


@pytest.mark.parametrize(
    "text",
    [
        "隔壁单元窗户里呼呼往外窜火 人还在里面",  # fire without 着火
        "我爸在厨房倒在地上了 叫他也不答应",  # someone down, unresponsive
        "有个大姐在公交站台躺着不动 嘴唇都发紫了",
        "楼下那个男的举着一把斧头 说要弄死我们",  # a weapon and a threat
        "有个小伙子翻到天台栏杆外面去了",  # about to jump
        "小孩的胳膊卡在电梯门缝里拔不出来",  # trapped
        "有个老太太掉进小区的鱼塘里了",  # in the water
        "我家孩子喝了半瓶消毒液",  # poison
        "有个送快递的被大货车压在下面了",  # traffic
        "厨房的燃气管子嗤嗤的往外喷气",  # gas without 煤气味
    ],
)
def test_a_danger_described_by_its_parts_is_level_one(clf: Classifier, text: str) -> None:
    """Who is in danger and what is happening to them, in words no list spells out."""
    assert clf.classify(text).urgency == 1


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("隔壁那家ktv天天唱到后半夜 我打过110 也不管用", "noise"),  # a call made before
        ("楼上两口子吵架 我们报了好几次警了", "neighbor"),  # again and again: a nuisance
        ("村口天天有人烧垃圾 黑烟滚滚的 窗户都不敢开", "sanitation"),  # smoke with an everyday source
        ("楼道里纸箱堆成山 一点火就着", "safety"),  # 一…就: what would happen
        ("我要表扬我们楼的保安 上回有个老人晕倒了是他背下楼的", "other"),  # praise looks back
        ("买的电暖器用了三天就冒烟了 商家说不给退", "consumer"),  # now a refund dispute
        ("我在工地干活的时候把手砸伤了 包工头说不关他的事", "labor"),  # now a liability dispute
    ],
)
def test_danger_words_that_are_past_habitual_everyday_or_disputed_are_not_level_one(
    clf: Classifier, text: str, category: str
) -> None:
    routing = clf.classify(text)
    assert routing.urgency != 1 and routing.category == category


def test_a_missing_person_not_yet_found_is_still_level_one(clf: Classifier) -> None:
    """没找到 is not 找到了: the search going on is no sign that the danger is over."""
    assert clf.classify("我家老人走丢了 找了一晚上还没找到").urgency == 1
    assert clf.classify("我家老人走丢了 刚才民警帮我们找到了 想谢谢他们").urgency != 1


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("隔壁装修的电锯声吵得我想死", "noise"),
        ("物业乱收停车费 逼得我们老两口想跳楼", "property"),
        ("楼下垃圾站的味道熏得我头都晕了", "sanitation"),
    ],
)
def test_a_nuisance_told_by_what_it_does_to_the_caller_is_not_level_one(
    clf: Classifier, text: str, category: str
) -> None:
    """吵得我想死 is a figure of speech: a danger word after 吵得/逼得/熏得 describes the nuisance."""
    routing = clf.classify(text)
    assert routing.urgency != 1 and routing.category == category


def test_a_danger_that_happened_before_is_evidence_of_a_hazard(clf: Classifier) -> None:
    """去年淹死过人 does not call for a rescue now, but it says the pond is dangerous."""
    routing = clf.classify("村口那个鱼塘边上 去年淹死过一个人 现在还是什么都没拦")
    assert (routing.category, routing.urgency) == ("safety", 2)
    assert any(k.term == "淹死" for k in routing.keywords)


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("小区门口那个减速带被压烂了 钉子都露出来了", "facility"),  # 被压: a thing was pressed
        ("人行道上的砖都被压碎了 也没人修", "facility"),  # 人 of 人行道 is nobody
        ("我的钥匙掉进下水道里了 下水道口全是垃圾堵着", "sanitation"),  # 我 owns the keys
        ("电梯一动不动 按什么都没反应 物业也不来", "property"),  # two such words, still no person
    ],
)
def test_what_happens_to_a_thing_is_not_level_one(clf: Classifier, text: str, category: str) -> None:
    """被压, 掉进, 一动不动 are a danger to life only when they happen to a person."""
    routing = clf.classify(text)
    assert (routing.category, routing.urgency != 1) == (category, True)


@pytest.mark.parametrize(
    "text",
    [
        "树倒了 有个老太太被压住了 出不来",  # the person in the same clause
        "小区门口有个人被高压电打了 倒在地上不动了",  # named once, in the clause before
        "我妈的手被卡在电梯门里了",  # a hand is a person's
        "被困在电梯里了 快来救我们",  # no one named, but a second sign of danger
    ],
)
def test_what_happens_to_a_person_is_level_one(clf: Classifier, text: str) -> None:
    assert clf.classify(text).urgency == 1


@pytest.mark.parametrize(
    ("text", "category"),
    [
        ("有人从窗户上吊根线下来 给电瓶车充电", "safety"),  # 上吊 takes no object: hanging a line
        ("楼上在阳台上吊着个风铃 叮叮当当响一晚上", "noise"),
        ("那个店天天喊跳楼价 结果买回来的东西全是次品", "consumer"),  # a sale
        ("我家孩子被电视吵得写不了作业 隔壁电视开得特别大声", "noise"),  # 被电 is 被 + 电视
        ("隔壁装修的电钻声跟杀人一样 一大早就开始钻", "noise"),  # a comparison
        ("楼下天天蹦迪 炒得我想死", "noise"),  # 炒得 is the recogniser's 吵得
    ],
)
def test_a_danger_word_read_across_a_word_boundary_is_not_level_one(
    clf: Classifier, text: str, category: str
) -> None:
    routing = clf.classify(text)
    assert routing.urgency != 1 and routing.category == category


@pytest.mark.parametrize(
    "text",
    ["我邻居拿绳子在家上吊了 快来人", "楼顶上有个女的要跳楼", "工地上有人被电到了 倒在地上不动"],
)
def test_the_same_words_read_plainly_are_still_level_one(clf: Classifier, text: str) -> None:
    assert clf.classify(text).urgency == 1


def test_a_near_miss_in_the_past_is_a_hazard_at_full_weight(clf: Classifier) -> None:
    """前年差点着火 says the corridor is dangerous now: 差点 outweighs 前年."""
    routing = clf.classify("楼道里的旧家具一直堆着 前年还差点着火")
    assert (routing.category, routing.urgency) == ("safety", 2)


def test_fear_of_what_may_happen_is_a_hazard(clf: Classifier) -> None:
    routing = clf.classify("楼顶那块广告牌松了 我就怕砸到下面的小孩")
    assert (routing.category, routing.urgency) == ("safety", 2)


def test_a_child_getting_into_an_electrical_room_is_a_hazard(clf: Classifier) -> None:
    """A hazard told by a pattern, not a word: the power company's room, at level 2."""
    routing = clf.classify("楼下配电房的门一直开着 锁也坏了 小孩老往里钻")
    assert (routing.category, routing.urgency) == ("power", 2)


@pytest.mark.parametrize(
    "text",
    [
        "我家老人有心脏病 楼上天天装修砸墙 受不了",  # a condition lived with, not an attack
        "我去社区医院看心脏病 医生连听诊都没有",
        "我们家有哮喘病人 楼下饭店的油烟呛得喘不上气",  # what the smoke does to the caller
        "保安把我家的狗打伤了 还不承认",  # a pet hurt
    ],
)
def test_a_condition_a_nuisance_or_a_pet_is_not_level_one(clf: Classifier, text: str) -> None:
    assert clf.classify(text).urgency != 1


def test_an_attack_of_that_condition_is_level_one(clf: Classifier) -> None:
    assert clf.classify("我爸心脏病犯了 脸色发白 喘不上气").urgency == 1


@pytest.mark.parametrize(
    ("text", "level_one"),
    [
        ("我爸妈屋里生着煤炉子 现在两个人都说头晕 想吐", True),  # fumes of a fire burning indoors
        ("屋里开着燃气热水器洗澡 我妈洗着洗着说头晕 站不起来了", True),
        ("老人冬天在屋里烧炭取暖 我们担心会中毒", False),  # heating with charcoal: a hazard
        ("热水器坏了好几天 物业不修 愁得我头疼", False),  # a figure of speech
    ],
)
def test_symptoms_next_to_a_fire_burning_indoors_are_poisoning(clf: Classifier, text: str, level_one: bool) -> None:
    assert (clf.classify(text).urgency == 1) is level_one


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # the bite or blow never reached anyone: said after the danger word
        ("楼下的狗冲上来咬了我一口 隔着羽绒服没咬破皮 狗主人还嫌我大惊小怪", "neighbor"),
        # the injury is over: the call is about how little was paid for it
        ("我在厂里上班被机器砸伤了手 老板就给了八百块钱 后来就不管了", "labor"),
        # rolling the eyes AT someone is contempt, not a fit
        ("我去居委会开证明 那个大姐冲我翻了个白眼 说明天再来", "staff_attitude"),
        # told as a past matter after the danger word
        ("电梯困人的事前年出过一回 现在物业还是不按时保养", "property"),
        # a weapon raised against an animal
        ("楼下那个人拎着铁锹追我家猫 说猫把他的菜踩了 邻居都看不下去", "neighbor"),
        # a matter being talked about, not happening now
        ("我要举报所长 他收了钱就把那回斗殴的事情给压了下去", "misconduct"),
    ],
)
def test_danger_negated_paid_for_figurative_or_past_after_the_word_is_not_level_one(
    clf: Classifier, text: str, category: str
) -> None:
    routing = clf.classify(text)
    assert routing.category == category
    assert routing.urgency > 1


@pytest.mark.parametrize(
    "text",
    [
        "我妈吃着饭突然翻白眼 手脚一直抽 叫她也不应",  # eyes rolling with a fit: level 1
        "有条大狗把放学的小孩咬了 腿上都是血",  # a bite that drew blood
        "楼上着火了 火还没烧到我家 烟特别大",  # not reached yet is still a fire
        "我不是说吵架 是他们拿刀动手了 有人受伤了",  # a disclaimer never hides a danger
        "我外婆晕倒了以前也出过这种事 快来人",  # now AND before
        "他拿着棍子打完狗又去打人 把一个大爷打得满头是血",  # the animal first, then a person
        "装修师傅从架子上踩空 被地上的钢管扎进了大腿",  # pierced
        "村口那排平房塌了大半边 里面可能还有个老人",  # a collapse, someone maybe inside
    ],
)
def test_the_same_families_in_real_danger_stay_level_one(clf: Classifier, text: str) -> None:
    assert clf.classify(text).urgency == 1


def test_a_hazard_word_that_is_negated_does_not_raise_the_urgency(clf: Classifier) -> None:
    said = clf.classify("邻居家装修把我家阳台的墙打了个洞 幸亏没砸到人 他们到现在也不给修")
    assert (said.category, said.urgency) == ("neighbor", 3)
    assert clf.classify("邻居家装修的砖头掉下来 差点砸到人 他们也不管").urgency <= 2


def test_whenever_is_a_hazard_but_whenever_with_le_has_happened(clf: Classifier) -> None:
    assert clf.classify("车棚里堆满了旧纸箱 一有火星就能着起来").urgency == 2
    assert clf.classify("我爷爷一下楼就晕倒了").urgency == 1


def test_a_break_in_told_object_first_is_level_one(clf: Classifier) -> None:
    assert clf.classify("下班回来一看 防盗门让人撬开了 屋里东西全翻乱了").urgency == 1
