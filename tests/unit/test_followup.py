from bot.followup import is_follow_up, resolve_follow_up


def test_short_follow_ups_are_recognised():
    for text in ("那过期的呢", "要多久", "那如果是百利包呢?", "怎么处理"):
        assert is_follow_up(text), text


def test_full_questions_are_not_follow_ups():
    for text in ("保质期满的产品能退吗", "电话铃响几声必须接听", "质量投诉几小时内通知大区呢我想知道"):
        assert not is_follow_up(text), text


def test_follow_up_is_read_with_the_previous_question():
    assert resolve_follow_up("那过期的呢", "没开封的奶能退吗") == "没开封的奶能退吗 那过期的呢"
    assert resolve_follow_up("那过期的呢", None) == "那过期的呢"
    assert resolve_follow_up("保质期满的产品能退吗", "电话铃响几声") == "保质期满的产品能退吗"
