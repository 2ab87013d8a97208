"""您是想问 options from passages' headings: the numbering mark dropped, a heading that says
nothing (the mark alone) not offered. Pure functions, no model."""

import pytest

from bot.retrieve.search import Hit
from bot.suggest import heading_as_question
from indexer.chunk import Chunk


def hit_under(heading: str) -> Hit:
    chunk = Chunk("a" * 16, "冷饮", "冷饮", f"冷饮须知 › {heading}", "冰淇淋必须冷冻保存。", 0, 10, "text")
    return Hit(chunk, 1.0, None, None)


@pytest.mark.parametrize("heading,question", [
    ("第一条 冰淇淋的保存方法", "冰淇淋的保存方法"),  # a numbered heading (a 500 on /api/ask: the mark's field is `text`)
    ("12、退换货的时限", "退换货的时限"),
    ("冰淇淋的保存方法", "冰淇淋的保存方法"),
    ("第一条", None),  # the mark alone says nothing
])
def test_a_heading_is_offered_without_its_numbering_mark(heading, question):
    assert heading_as_question(hit_under(heading)) == question
