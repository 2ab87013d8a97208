"""Chinese text handling on real excerpts of the manuals."""

import pytest

from kefu.text.normalize import compact, fold_for_search, normalize_text
from kefu.text.sentences import split_sentences
from kefu.text.tokenize import Tokenizer


def test_normalize_folds_full_width_and_drops_invisible_characters():
    assert normalize_text("电话铃响３声内必须接听，直接接听人不在\u200b。") == "电话铃响3声内必须接听,直接接听人不在。"


def test_normalize_joins_letter_spaced_titles_but_keeps_article_spacing():
    assert normalize_text("客 户 服 务 规 范") == "客户服务规范"
    assert normalize_text("第六条 电话铃响3声内必须接听") == "第六条 电话铃响3声内必须接听"


def test_fold_for_search_turns_traditional_into_simplified():
    assert fold_for_search("過期的牛奶能退貨嗎？") == "过期的牛奶能退货吗?"


def test_split_sentences_keeps_closing_quotes_and_semicolons():
    text = "A、保质期满的产品;B、因如顾客安装使用不当造成等非我方因素造成损坏的产品;“您别着急,请慢慢说。”完"
    assert split_sentences(text) == [
        "A、保质期满的产品;",
        "B、因如顾客安装使用不当造成等非我方因素造成损坏的产品;",
        "“您别着急,请慢慢说。”",
        "完",
    ]


def test_compact_removes_all_white_space():
    assert compact("第6条 销售部\n客户服务中心") == "第6条销售部客户服务中心"


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


def test_tokenizer_keeps_domain_terms_and_drops_punctuation_and_stopwords(tokenizer):
    tokens = tokenizer.tokenize("应仔细了解投诉产品的名称、生产日期、生产批号、数量")
    assert "生产批号" in tokens and "生产日期" in tokens
    assert "的" not in tokens and "、" not in tokens


def test_tokenizer_treats_traditional_and_simplified_alike(tokenizer):
    assert tokenizer.tokenize("保質期滿的產品能退嗎") == tokenizer.tokenize("保质期满的产品能退吗")


def test_normalize_keeps_circled_numbers_that_mark_list_items():
    assert normalize_text("①见面互致“您好”并点头示意。") == "①见面互致“您好”并点头示意。"
