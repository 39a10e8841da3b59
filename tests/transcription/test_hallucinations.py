import pytest

from transcription.cleanup import drop_repeated, strip_hallucinations


@pytest.mark.parametrize(
    "invented",
    [
        "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
        "字幕由Amara.org社群提供",
        "中文字幕志愿者 李宗盛",
        "谢谢大家收看",
        "请订阅我的频道",
        "优优独播剧场——YoYo Television Series Exclusive",
    ],
)
def test_known_hallucinations_are_removed(invented):
    assert strip_hallucinations(invented) == ""


def test_hallucination_after_real_speech_keeps_the_speech():
    assert strip_hallucinations("我家电梯坏了。字幕由Amara.org社群提供") == "我家电梯坏了。"


def test_ordinary_complaint_is_untouched():
    text = "谢谢，我们小区停电了，请尽快派人来看看。"
    assert strip_hallucinations(text) == text


def test_repetition_loop_is_cut_to_one():
    assert strip_hallucinations("小区停电了，停电了，停电了，停电了，停电了") == "小区停电了"
    assert strip_hallucinations("嗯" * 30) == "嗯"


@pytest.mark.parametrize("said", ["喂喂喂", "谢谢谢谢", "电话88886666", "八八八八六六六六"])
def test_short_repeats_a_caller_may_say_are_kept(said):
    assert strip_hallucinations(said) == said


def test_only_punctuation_left_is_empty():
    assert strip_hallucinations(" …，。") == ""


def test_a_segment_repeated_in_a_loop_is_kept_at_most_twice():
    assert drop_repeated(["救命", "救命", "救命", "救命", "着火了", "救命"]) == [
        "救命",
        "救命",
        "着火了",
        "救命",
    ]
