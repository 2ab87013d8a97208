"""Spoken Chinese written as the manuals write it: customers' phrasings, and what must stay."""

import pytest

from kefu.text.colloquial import parse_rules, spoken_to_written, words_to_number

REWRITTEN = [
    # spoken question words
    ("牛奶过期了咋办", "牛奶过期了怎么办"),
    ("燃气表不走了咋回事", "燃气表不走了怎么回事"),
    ("咋投诉你们的送货员", "怎么投诉你们的送货员"),
    ("灯具保修啥时候到期", "灯具保修什么时候到期"),
    ("退货要带啥", "退货要带什么"),
    ("为啥电话一直占线", "为什么电话一直占线"),
    ("会员卡有啥子用", "会员卡有什么用"),
    ("神马时候送到", "什么时候送到"),
    ("肿么联系人工客服", "怎么联系人工客服"),
    ("空调木有制冷", "空调没有制冷"),
    # 整 / 弄 / 搞 as spoken verbs
    ("奶喝出怪味了咋整", "奶喝出怪味了怎么办"),
    ("发票丢了咋弄?", "发票丢了怎么办?"),
    ("师傅没上门怎么搞", "师傅没上门怎么办"),
    ("灯不亮了怎么弄啊", "灯不亮了怎么办啊"),
    ("维修师傅弄坏了地板谁赔", "维修师傅损坏了地板谁赔"),
    ("快递把包装搞坏了", "快递把包装损坏了"),
    ("是怎么弄坏的", "是怎么损坏的"),
    ("购物小票弄丢了还能退吗", "购物小票丢失了还能退吗"),
    # input-method slips of common phrases
    ("一箱牛奶多少前", "1箱牛奶多少钱"),
    ("热线能办神么业务", "热线能办什么业务"),
    ("我不只到找谁", "我不知道找谁"),
    # question particles at the end of a question
    ("拆开用了还能退不", "拆开用了还能退吗"),
    ("过期的奶能换不?", "过期的奶能换吗?"),
    ("能上门安装不,谢谢", "能上门安装吗,谢谢"),
    ("退款到账了没", "退款到账了吗"),
    ("师傅今天还来没？", "师傅今天还来吗?"),
    ("保质期内坏了能换码", "保质期内坏了能换吗"),
    ("投诉完要等几天码", "投诉完要等几天吗"),
    ("24小时有人接电话马", "24小时有人接电话吗"),
    ("超市周末营业麽", "超市周末营业吗"),
    ("能退么", "能退吗"),
    ("能退不啊", "能退吗啊"),
    ("钱还没到账没", "钱还没到账吗"),
    # numbers written in words before a unit
    ("两个小时能回电话吗", "2个小时能回电话吗"),
    ("投诉三天了没人管", "投诉3天了没人管"),
    ("电话响了五声才接", "电话响了5声才接"),
    ("二十四小时都有人值班吗", "24小时都有人值班吗"),
    ("等了三十分钟还没人接", "等了30分钟还没人接"),
    ("十个工作日内能退款吗", "10个工作日内能退款吗"),
    ("买了一百二十元的东西", "买了120元的东西"),
    ("第二次投诉了", "第2次投诉了"),
    ("用了两年就坏了", "用了2年就坏了"),
]

UNCHANGED = [
    "不能退货吗",
    "为什么没有人接电话",
    "没有收到退款",
    "码数偏小能换吗",
    "马上要过期的牛奶能退吗",
    "你说什么",
    "这么贵",
    "请问你们的客服电话号码",
    "验证码收不到",
    "扫码付款",
    "我的会员卡密码",
    "穿多大码",
    "钱还没",
    "我不",
    "不",
    "好不好用",
    "是不是过期了",
    "行不行啊",
    "不满意可以投诉吗",
    "半小时内能到吗",
    "两三天能修好吗",
    "十几天了还没处理",
    "一次性的餐具能退吗",
    "三天两头坏",
    "一天到晚打不通",
    "师傅弄脏了地面",
    "怎么搞的",
    "搞清楚再回复我",
    "不知道怎么办",
    "电话铃响3声内必须接听",
    "iPhone 不能充电",
]


@pytest.mark.parametrize("spoken,written", REWRITTEN)
def test_spoken_forms_are_written_as_the_manuals_write_them(spoken, written):
    assert spoken_to_written(spoken) == written


@pytest.mark.parametrize("text", UNCHANGED)
def test_written_chinese_and_words_holding_a_rule_stay(text):
    assert spoken_to_written(text) == spoken_to_written(spoken_to_written(text)) == text.lower()


def test_the_text_comes_back_folded_as_retrieval_sees_it():
    assert spoken_to_written("過期的牛奶咋辦？") == "过期的牛奶怎么办?"


def test_rewriting_twice_changes_nothing_more():
    for spoken, written in REWRITTEN:
        assert spoken_to_written(written) == written


@pytest.mark.parametrize("words,number", [("十二", 12), ("二十四", 24), ("两", 2), ("一百零五", 105), ("十", 10), ("两百", 200), ("三十", 30)])
def test_numbers_written_in_words(words, number):
    assert words_to_number(words) == number


@pytest.mark.parametrize("words", ["三四", "零", "十百", "一二"])
def test_ranges_and_non_numbers_are_no_number(words):
    assert words_to_number(words) is None


def test_the_longest_rule_wins_and_a_kept_word_shields_its_characters():
    rules = parse_rules("咋 → 怎么\n咋办 → 怎么办\n咋呼 =\n不$ → 吗\n还不$ =\n{数}天\n一天到晚 =\n")
    assert spoken_to_written("咋办", rules) == "怎么办"
    assert spoken_to_written("别咋呼", rules) == "别咋呼"
    assert spoken_to_written("还不", rules) == "还不"
    assert spoken_to_written("能退不", rules) == "能退吗"
    assert spoken_to_written("一天到晚咋不来", rules) == "一天到晚怎么不来"
    assert spoken_to_written("等了三天", rules) == "等了3天"


@pytest.mark.parametrize("line", ["咋 怎么", "→ 怎么", "咋 →", "$ =", "咋 → 怎么\n咋 → 怎样"])
def test_a_malformed_or_conflicting_rule_is_refused_with_its_line(line):
    with pytest.raises(ValueError, match="colloquial.txt:"):
        parse_rules(line)
