"""How alike characters sound and look: the comparisons typo correction rests on."""

import pytest

from kefu.text.alike import four_corner_codes, fuzzy, shape_key, sound, term_syllables


@pytest.mark.parametrize("syllable,merged", [
    ("zhi", "zi"), ("chu", "cu"), ("shang", "san"), ("lan", "nan"), ("xing", "xin"), ("deng", "den"),
    ("liang", "nian"), ("zhuang", "zuan"), ("hong", "hong"), ("ng", "ng"), ("a", "a"),
])
def test_fuzzy_merges_what_many_speakers_input_does_not_tell_apart(syllable, merged):
    assert fuzzy(syllable) == merged


def test_distinct_sounds_stay_distinct():
    assert fuzzy("fu") != fuzzy("hu") and fuzzy("ri") != fuzzy("li") and fuzzy("bo") != fuzzy("po")


def test_sound_is_the_usual_reading_and_nothing_for_other_characters():
    assert sound("服") == "fu"  # not its rare bo or bi
    assert sound("什") == "shen" and sound("码") == "ma"
    assert sound("a") == sound("3") == sound(",") == ""


def test_a_word_is_read_in_context():
    assert term_syllables("重新") == ("chong", "xin")
    assert term_syllables("保质期") == ("bao", "zhi", "qi")


@pytest.mark.parametrize("a,b", ["己已", "未末", "拨拔", "候侯", "言盲"])
def test_look_alikes_share_their_four_corner_code(a, b):
    codes = four_corner_codes()
    assert shape_key(a, codes) == shape_key(b, codes) != ""


@pytest.mark.parametrize("a,b", ["里目", "绑约", "质值", "话化"])
def test_unlike_characters_do_not(a, b):
    codes = four_corner_codes()
    assert shape_key(a, codes) != shape_key(b, codes)


def test_a_character_without_a_code_has_an_empty_key():
    assert shape_key("a", four_corner_codes()) == ""
