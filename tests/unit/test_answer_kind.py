"""The answer-kind check on questions from the gold set and sentences from the manuals."""

import pytest

from bot.answer_kind import answers_kind, asks_amount


@pytest.mark.parametrize(
    "question,asks",
    [
        ("电话铃响几声必须接听", True),
        ("质量投诉 几小时上报", True),
        ("纯牛奶保质期多久啊", True),
        ("会员积分多少分能抵一块钱", True),
        ("what's the 保质期 of 纯牛奶, how many months?", True),
        ("保质期满的产品能退吗", False),
        ("客户骂人 怎么回", False),
    ],
)
def test_questions_asking_for_an_amount_or_a_time(question, asks):
    assert asks_amount(question) is asks


@pytest.mark.parametrize(
    "question,quote,answers",
    [
        ("电话铃响几声必须接听", "电话铃响3声内必须接听,直接接听人不在,由距离最近人员负责接听。", True),
        ("投诉预警信息多久内上报", "30分钟内形成投诉预警信息", True),
        ("投诉了多久能联系我", "市场业务应在接到投诉或质量问题信息后,应及时、准确的与消费者取得联系,并在短期内将投诉问题处理妥善。", True),
        ("纯牛奶保质期多久啊", "纯牛奶中含有丰富的蛋白质、脂肪、氨基酸、糖类、盐类、钙、磷、铁等各种常量、微量维生素、酶和抗体等,最容易被人体消化吸收。", False),
        ("会员积分多少分能抵一块钱", "3、积分返利政策", False),
        ("保质期满的产品能退吗", "A、保质期满的产品;", True),
    ],
)
def test_a_quote_must_state_the_amount_the_question_asks_for(question, quote, answers):
    assert answers_kind(question, [quote]) is answers
