"""Families of expressions that name a category by meaning, not by its usual words."""
import pytest

from classifier import Classifier


@pytest.mark.parametrize(
    ("text", "category"),
    [
        # a brush-off answered to an enquiry is the staff's attitude, not an enquiry
        ("我到社区问廉租房怎么申请 那个工作人员说我也不知道 你自己上网查吧", "staff_attitude"),
        # passed on, and never heard of again
        ("这个事我反映了两回 每回都说已经转给社区了 一直也没人联系我", "staff_attitude"),
        # a mediator who takes one side
        ("街道派的调解员一直偏向对方 我说什么他都不听", "staff_attitude"),
        # bribes in kind, and gifts forced out of people by someone in office
        ("那个城管收了店主送的两条烟 就不管他们占道经营了", "misconduct"),
        ("村支书儿子结婚 非要我们这些村民都去随份子 不去就卡我们的宅基地审批", "misconduct"),
        # a contemptuous look at a question about a subsidy: the subsidy alone is no misconduct
        ("我问社区的人低保什么时候批 她白了我一眼说回去等通知", "staff_attitude"),
        # goods sold spoiled: the smell is the shop's fault
        ("超市买的牛肉回家一打开就是臭的 去找他们退 他们说是我放坏的", "consumer"),
        # fake goods named by kind, and materials swapped for cheaper ones
        ("小区门口那家店卖假酒 喝了头疼 瓶子上的标签都是歪的", "consumer"),
        ("买沙发的时候说好是真皮 结果送到家一看是人造革", "consumer"),
        # care at home from the health service
        ("我爸是家庭病床 护士说好隔天来换药 一个星期都没来", "health"),
        # a neighbour's animal, a neighbour's things on one's doorstep
        ("对门家的猫天天钻到我家院子里 把菜都刨了", "neighbor"),
        ("楼下那户把他的摩托车停在了我家车库门口 我车开不出去", "neighbor"),
        # a fire lane turned into parking, however the recogniser wrote 通道
        ("我们小区的消防通到 被改成了停车位 天天停满了车", "safety"),
    ],
)
def test_a_family_of_expressions_routes_by_meaning(clf: Classifier, text: str, category: str) -> None:
    assert clf.classify(text).category == category
