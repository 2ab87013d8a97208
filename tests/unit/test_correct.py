"""Typo correction toward a kb's own vocabulary, built from the real kb/ files (no model needed)."""

import pytest

from bench.text_speed import kb_texts
from kefu.text.correct import Change, Corrector, count_terms
from kefu.text.tokenize import Tokenizer

from conftest import KB_DIR


@pytest.fixture(scope="module")
def tokenizer():
    return Tokenizer()


@pytest.fixture(scope="module")
def terms(tokenizer):
    return count_terms(kb_texts(KB_DIR), tokenizer)


@pytest.fixture(scope="module")
def corrector(terms, tokenizer):
    return Corrector.from_vocabulary(terms, tokenizer)


CORRECTED = [
    ("过了保值期还能退吗", "过了保质期还能退吗"),
    ("利乐枕的保值期", "利乐枕的保质期"),
    ("店员态度差能投述吗", "店员态度差能投诉吗"),
    ("我要质量头诉", "我要质量投诉"),
    ("打电化咨询要钱吗", "打电话咨询要钱吗"),
    ("客服点话打不通", "客服电话打不通"),
    ("有人泄露客户信息 怎么处里", "有人泄露客户信息 怎么处理"),
    ("投诉了好几次没人处里", "投诉了好几次没人处理"),
    ("退了货什么时候腿款", "退了货什么时候退款"),
    ("资询电话是多少", "咨询电话是多少"),
    ("售后服物电话", "售后服务电话"),
    ("怎么转人工课服", "怎么转人工客服"),
    ("天然气涨包了", "天然气胀包了"),
    ("燃气表不转了找谁报休", "燃气表不转了找谁报修"),
    ("礼貌语盲要规范", "礼貌语言要规范"),  # 盲 looks like 言 (same four-corner code) and is far rarer
    ("电话回仿", "电话回访"),
    ("话务原态度差", "话务员态度差"),
    # one character only fuzzily alike: zh/z, sh/s, ch/c, in/ing, an/ang
    ("牛奶保资期多久", "牛奶保质期多久"),
    ("师傅能桑门吗", "师傅能上门吗"),
    ("怎么粗理投诉", "怎么处理投诉"),
    ("客户性息会泄露吗", "客户信息会泄露吗"),
]

UNCHANGED = [
    # words of the kb, spelt right
    "投诉处理多久", "保质期多久", "客服电话是多少", "热线能受理什么业务", "话务员态度差", "接线员不耐烦",
    "我想退货", "师傅态度很好", "喝了以后有反应",  # 反应: in the kb beside the commoner 反映, and a word
    # words that are not the kb's but are words: never traded for a homophone
    "这个公式怎么算", "维修师父不上门", "活动期间能退吗", "回放电话", "请您稍侯",  # jieba's dictionary knows 稍侯
    # names of people and companies
    "我叫刘洋", "王芳要退货", "张伟投诉过", "李娜的订单", "三鹿的奶", "康福特空调坏了", "蓝景光电的灯",
    "万佳福超市几点关门", "彤运天然气",
    # numbers
    "电话铃响3声内必须接听", "400热线打不通", "2小时内回复吗", "三天了还没处理", "二次投诉怎么办",
    # function words and whole phrases that only sound like kb terms
    "你好吗", "手机号吗", "营业只到八点", "这是什么意思", "已经过期了", "开通花呗",
    # nothing to read
    "", "?!", "ok",
]


@pytest.mark.parametrize("query,corrected", CORRECTED)
def test_input_method_typos_become_the_kbs_terms(corrector, query, corrected):
    result = corrector.correct(query)
    assert result.text == corrected
    assert len(result.changes) == 1


@pytest.mark.parametrize("query", UNCHANGED)
def test_correct_words_names_and_numbers_never_change(corrector, query):
    result = corrector.correct(query)
    assert result.changes == () and result.text == query.lower()


def test_changes_name_each_span_and_its_replacement_in_order(corrector):
    result = corrector.correct("投述电话多少,保值期多久")
    assert result.changes == (Change("投述", "投诉"), Change("保值期", "保质期"))
    assert [tuple(c) for c in result.changes] == [("投述", "投诉"), ("保值期", "保质期")]
    assert result.text == "投诉电话多少,保质期多久"


def test_the_text_comes_back_folded(corrector):
    assert corrector.correct("過了保值期還能退嗎？").text == "过了保质期还能退吗?"


def test_a_typo_the_kbs_own_questions_hold_is_still_corrected(terms, corrector):
    """The associated questions carry customers' typos; 投述 is there, but far rarer than 投诉."""
    assert 0 < terms["投述"] < terms["投诉"]
    assert corrector.correct("我要投述").text == "我要投诉"


def test_a_rare_real_word_is_kept_when_a_typo_would_need_it(corrector):
    """电化 is a word jieba knows: alone it stays; inside 打电化, not a word, it is corrected."""
    assert corrector.correct("投述电化多少").changes == (Change("投述", "投诉"),)
    assert corrector.correct("打电化").text == "打电话"


def test_only_the_kbs_own_vocabulary_is_a_target(tokenizer):
    gas = Corrector.from_vocabulary(count_terms(kb_texts(KB_DIR, "gas"), tokenizer), tokenizer)
    dairy = Corrector.from_vocabulary(count_terms(kb_texts(KB_DIR, "dairy"), tokenizer), tokenizer)
    assert gas.correct("燃汽公司的电话").text == "燃气公司的电话"
    assert dairy.correct("燃汽公司的电话").changes == ()


def test_a_word_of_the_kb_is_not_corrected_toward_a_commoner_one(corrector):
    for word in ("回访", "报修", "退换", "话务员", "满意度"):
        assert corrector.correct(f"关于{word}的规定").changes == ()


def test_an_empty_vocabulary_corrects_nothing(tokenizer):
    empty = Corrector.from_vocabulary({}, tokenizer)
    assert empty.correct("过了保值期还能退吗").text == "过了保值期还能退吗"
    assert empty.correct("我要投述").changes == ()
