"""The character channel's tokens, and the tokenizer's word lists the corrector reads."""

import bm25s
import numpy as np
import pytest

from kefu.text.tokenize import Tokenizer, char_ngrams, user_dictionary_words


def test_unigrams_then_bigrams_of_each_run_punctuation_dropped():
    assert char_ngrams("保质期,多久？") == ["保", "质", "期", "保质", "质期", "多", "久", "多久"]


def test_punctuation_and_spaces_break_bigrams():
    grams = char_ngrams("电话铃响3声内 必须接听。直接接听人不在")
    assert "内必" not in grams and "听直" not in grams
    assert "接听" in grams and "必须" in grams


def test_a_run_of_ascii_letters_and_digits_is_one_unit():
    assert char_ngrams("拨打400热线") == ["拨", "打", "400", "热", "线", "拨打", "打400", "400热", "热线"]
    assert "4" not in char_ngrams("拨打400热线")


def test_the_text_is_folded_first():
    assert char_ngrams("過期ＡＢＣ") == char_ngrams("过期abc") == ["过", "期", "abc", "过期", "期abc"]


@pytest.mark.parametrize("text", ["", "  ", "。，！？……", "——"])
def test_text_without_characters_has_no_tokens(text):
    assert char_ngrams(text) == []


def test_a_circled_number_is_a_character_of_its_own():
    assert char_ngrams("①见面") == ["①", "见", "面", "①见", "见面"]


def test_bm25_over_characters_finds_a_passage_despite_a_typo():
    """The word channel cannot match 投述 to 投诉; the character channel still shares 投."""
    passages = [
        "客户投诉应在2小时内给予答复,复杂投诉24小时内答复。",
        "电话铃响3声内必须接听,直接接听人不在,由距离最近人员负责接听。",
        "保质期满的产品不予退换。",
    ]
    retriever = bm25s.BM25()
    retriever.index([char_ngrams(p) for p in passages], show_progress=False)
    ids, scores = retriever.retrieve([char_ngrams("投述要多久答复")], k=3, show_progress=False)
    assert ids[0][0] == 0 and scores[0][0] > 0
    assert np.count_nonzero(scores[0]) >= 1


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


def test_words_keep_the_stop_words_tokenize_drops(tokenizer):
    words = tokenizer.words("请问牛奶过期了怎么办?")
    assert "怎么办" in words and "请问" in words and "?" not in words
    assert "请问" not in tokenizer.tokenize("请问牛奶过期了怎么办?")


def test_best_cut_is_a_cut_into_dictionary_words_that_keeps_every_character(tokenizer):
    _, pieces = tokenizer.best_cut("拨打客服电话,已经过期")
    assert "".join(pieces) == "拨打客服电话,已经过期"
    assert "客服电话" in pieces  # a word of the user dictionary


def test_best_cut_scores_known_words_higher(tokenizer):
    assert tokenizer.best_cut("保质期多久")[0] > tokenizer.best_cut("保值期多久")[0]
    assert tokenizer.best_cut("") == (0.0, [])


def test_word_frequencies_hold_jiebas_and_the_user_dictionarys_words(tokenizer):
    frequencies = tokenizer.word_frequencies()
    assert frequencies["电话"] > 1000 and frequencies["利乐枕"] > 0
    with pytest.raises(TypeError):
        frequencies["电话"] = 0  # read-only: the corrector must not change jieba's model


def test_user_dictionary_words_are_its_first_column():
    words = user_dictionary_words()
    assert "保质期" in words and "利乐枕" in words and all(" " not in w for w in words)
