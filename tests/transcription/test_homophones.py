import pytest

from transcription.lexicon import DOMAIN_WORDS, HomophoneFixer, domain_fixer, read_words


@pytest.mark.parametrize(
    ("heard", "meant"),
    [
        ("旁边的垃圾筒满了", "旁边的垃圾桶满了"),
        ("楼上卫生监漏水", "楼上卫生间漏水"),
        ("招了好多老属和苍营", "招了好多老鼠和苍蝇"),
        ("楼道里堆满了杂务", "楼道里堆满了杂物"),
        ("万一找火就完了", "万一着火就完了"),  # other tone, but 找火 is no word
        ("屋业也不管", "物业也不管"),
    ],
)
def test_domain_words_misheard_as_homophones_are_put_right(heard, meant):
    assert domain_fixer().fix(heard) == meant


@pytest.mark.parametrize(
    "said",
    [
        "燃起了大火",  # 燃起 is a word, in other tones than 燃气
        "午夜十二点",  # 午夜 ≈ 物业 in sound, but no character in common
        "我们这边的公共厕所",  # the longer lexicon word keeps 共厕 from becoming 公厕
        "我们小区停电了，KTV 123号",
    ],
)
def test_real_words_are_left_alone(said):
    assert domain_fixer().fix(said) == said


def test_longest_word_wins():
    fixer = HomophoneFixer(["电线", "电线杆"], is_word=lambda _: False)
    assert fixer.fix("店线杆歪了") == "电线杆歪了"


def test_other_tones_are_only_fixed_where_no_word_was_heard():
    fixer = HomophoneFixer(["过期"], is_word=lambda text: text == "过气")
    assert fixer.fix("牛奶国期了") == "牛奶过期了"
    assert fixer.fix("他早就过气了") == "他早就过气了"


def test_lexicon_file_parses_to_chinese_words(tmp_path):
    words = read_words(DOMAIN_WORDS)
    assert "垃圾桶" in words and "着火" in words
    assert all(not w.startswith("#") for w in words)
    custom = tmp_path / "words.txt"
    custom.write_text("# comment\n井盖 路灯  # trailing comment\n\n", encoding="utf-8")
    assert read_words(custom) == ["井盖", "路灯"]
