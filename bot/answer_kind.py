"""Does a quote hold the kind of thing the question asks for?

A question that asks how long, how many or when is not answered by a sentence that names no
amount or time, however close its words: retrieval found the topic, not the answer. Such a
turn goes to the 您是想问 band instead of quoting a sentence that does not answer.
"""

import re

from kefu.text.normalize import fold_for_search

ASKS_AMOUNT = re.compile(
    r"多久|多长时间|多长|多少(天|小时|分钟|钱|元|块|分|次|时间)|几(天|小时|个小时|分钟|秒|声|个月|年|次|遍|日|点|个工作日)|"
    r"什么时候|何时|时限|how (long|many|much)|when\b",
    re.IGNORECASE,
)
# A number with a unit of time, count or money, or the manuals' words for "at once".
STATES_AMOUNT = re.compile(
    r"(\d+(\.\d+)?|[一二两三四五六七八九十百千半]+)\s*(个)?(小时|分钟|分|秒|天|日|周|星期|个月|月|年|声|次|遍|元|块|%|工作日)|"
    r"当天|当日|立即|立刻|马上|即时|及时|第一时间"
)


def asks_amount(question: str) -> bool:
    return bool(ASKS_AMOUNT.search(fold_for_search(question)))


def states_amount(sentence: str) -> bool:
    return bool(STATES_AMOUNT.search(sentence))


def answers_kind(question: str, quotes: list[str]) -> bool:
    """False only when the question asks for an amount or a time and no quote states one."""
    return not asks_amount(question) or any(states_amount(quote) for quote in quotes)
