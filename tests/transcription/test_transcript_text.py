import pytest

from transcription.text import (
    cer,
    corpus_cer,
    normalise_for_scoring,
    spoken_numerals,
    tidy_for_display,
    to_simplified,
)


def test_traditional_becomes_simplified():
    assert to_simplified("樓道裏著火了，電梯壞了") == "楼道里着火了，电梯坏了"


def test_simplified_text_is_left_as_it_is() -> None:
    """Taiwan phrase rules must not touch mainland text: 多工 is not 多任务 in 好多工人."""
    assert to_simplified("工地上好多工人被压在下面了") == "工地上好多工人被压在下面了"


def test_display_form_is_simplified_with_chinese_punctuation_and_plain_digits():
    assert tidy_for_display("電話138 0013 8000, 住3號樓１２０２室.") == "电话13800138000，住3号楼1202室。"


def test_display_keeps_decimals_and_latin_words():
    assert tidy_for_display("电压只有3.5伏 KTV里") == "电压只有3.5伏 KTV里"


def test_display_drops_spaces_whisper_puts_between_chinese_words():
    assert tidy_for_display("你好 我要投诉") == "你好我要投诉"


@pytest.mark.parametrize(
    ("written", "spoken"),
    [
        ("3号楼1202室", "三号楼一千二百零二室"),
        ("电话13800138000", "电话一三八零零一三八零零零"),
        ("0571-88886666", "零五七一-八八八八六六六六"),
        ("3.05元", "三点零五元"),
        ("2023年", "二零二三年"),
        ("涨了50%", "涨了百分之五十"),
        ("一直没人来", "一直没人来"),
    ],
)
def test_numbers_read_as_a_caller_says_them(written, spoken):
    assert spoken_numerals(written) == spoken


def test_scoring_form_keeps_only_spoken_characters():
    assert normalise_for_scoring("樓下KTV，唱到2點！") == "楼下ktv唱到二点"


def test_cer_counts_substitutions_insertions_and_deletions():
    assert cer("我们小区停电了", "我们小七停电了") == pytest.approx(1 / 7)
    assert cer("停电了", "停电了吗") == pytest.approx(1 / 3)
    assert cer("停电了", "停电") == pytest.approx(1 / 3)


def test_cer_ignores_script_punctuation_and_number_spelling():
    assert cer("我们小区三号楼停电了，两三天了。", "我們小區3號樓 停電了2、3天了") == 0.0


def test_cer_with_empty_reference():
    assert cer("", "") == 0.0
    assert cer("，", "有人") == 1.0


def test_corpus_cer_weights_by_reference_length():
    pairs = [("停电了", "停电了"), ("小区电梯坏了", "小七电梯坏了")]
    assert corpus_cer(pairs) == pytest.approx(1 / 9)
