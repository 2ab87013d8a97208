"""Multi-turn: a short follow-up ("那过期的呢", "要多久") is read together with the session's
previous question, since on its own it names nothing retrieval can find."""

import re

from kefu.text.normalize import compact, fold_for_search

FOLLOW_UP_CHARS = 12
_FOLLOW_UP = re.compile(
    r"^(那|那么|那如果|如果|要是|还有|另外|那个|这个|那这|这种|那种|那要|那我)"
    r"|(呢|么)\??$"
    r"|^(要多久|多久|多长时间|几天|几个小时|几小时|怎么办|怎么处理|怎么说|可以吗|行吗|能吗|然后呢|为什么)\??$"
)


def is_follow_up(question: str) -> bool:
    text = compact(fold_for_search(question))
    return 0 < len(text) <= FOLLOW_UP_CHARS and bool(_FOLLOW_UP.search(text))


def resolve_follow_up(question: str, previous_question: str | None) -> str:
    """The question retrieval should see: the follow-up with the previous question before it."""
    if previous_question and is_follow_up(question):
        return f"{previous_question} {question}"
    return question
