"""Families found weak on a blind set, probed with sentences of our own: what the caller
means, and how far a hypothetical or past marker reaches."""
import pytest

from classifier import Classifier


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # what was meant for others taken home; public money spent on oneself; a card kept by staff;
        # a permit that came only after a bribe
        ("街道发给受灾户的棉被 被那个干部搬回他自己家里去了", "misconduct"),
        ("村里的集体经费被会计拿去请客吃饭 账上写的是办公用品", "misconduct"),
        ("我妈的低保存折一直在网格员手里攥着 每个月取多少我们都不知道", "misconduct"),
        ("他们收了开发商的好处 才给批的那块地", "misconduct"),
        # e-bikes taken where a fire cannot be escaped; a harm the caller fears for people
        ("有人天天把电瓶车推进电梯里 拿回家充电", "safety"),
        ("小区滑梯下面的水沟没有盖板 我就怕哪天小孩掉进去", "safety"),
        # the office's own line rings unanswered, and its door is locked
        ("居委会的电话我打了三天都没人接 跑过去一看门也锁着", "staff_attitude"),
        # thanks from a caller who says it is no complaint
        ("我不是来投诉的 就想谢谢社区的网格员 帮我妈办好了高龄补贴", "other"),
        # a thud that shakes the building is noise, even from a gym
        ("楼上那家天天砸地板 咚的一声 我家吊灯都在晃 窗户都在震", "noise"),
        # 体检 as the recogniser hears it
        ("社区说给老人免费提简 去了以后又要交钱", "health"),
        # a neighbouring household acting on ours
        ("隔壁那家把我们两家共用的过道全堆满了他们的杂物", "neighbor"),
        # a line hanging low, said across a pause: the supply network's own hazard
        ("楼后面那些电线拉得乱七八糟 其中一根都耷拉到阳台上了", "power"),
    ],
)
def test_family_routes_by_meaning(clf: Classifier, text: str, category: str) -> None:
    assert clf.classify(text).category == category


@pytest.mark.parametrize(
    "text",
    [
        # the clause after a whole condition is its consequence: smoke there is no present fire
        "消防通道的防火门被人用砖头抵着 一直关不上 要是着火了烟就全进楼道了",
        # a collapse long past and left unattended is a standing hazard
        "那个老楼塌了以后一直没人管 碎砖头堆在路边",
        # a forced door of a room nobody lives in threatens no one
        "小区配电室的门被人撬开了 里面电线乱七八糟的",
        # a weapon-like thing used as a prop
        "仓库门口被人拿铁棍顶着 谁都进不去",
    ],
)
def test_not_level_one(clf: Classifier, text: str) -> None:
    assert clf.classify(text).urgency > 1


@pytest.mark.parametrize(
    "text",
    [
        "我家门被撬了 小偷好像还在屋里",
        "厨房着火了 满屋子烟 快来人",
        "如果可以的话快派人来 这里着火了",  # a polite condition is no hypothetical
        "他拿着铁棍在砸人 已经有人头破了",
        "房子塌了 我奶奶被埋在里面了",
    ],
)
def test_still_level_one(clf: Classifier, text: str) -> None:
    routing = clf.classify(text)
    assert (routing.category, routing.urgency) == ("emergency", 1)
