"""Associated questions on a real index: a passage is found by the ways people ask for it, an
FAQ entry by its question, and a version whose question index is missing is refused."""

import pytest

from bot.assemble import open_searcher
from bot.retrieve.index import load_version
from indexer.build import build_index
from indexer.faq import append_faq
from indexer.versions import QUESTIONS_DENSE_FILE
from kefu.errors import IndexCorrupt

from conftest import make_settings

HANDLING = "五、顾客信息的收集与处理"  # lighting: how fast each kind of customer report is handled


@pytest.fixture
def lighting(tmp_path, kb_copy, encoder):
    """The lighting kb alone, built from a private copy with two editor-written FAQ entries."""
    append_faq(kb_copy / "lighting", "快递运费由谁承担?", "质量问题退换货的运费由公司承担。", "王编辑")
    append_faq(kb_copy / "lighting", "会员积分怎么兑换?", "积分兑换请咨询门店。", "王编辑")
    settings = make_settings(tmp_path, kb_dir=kb_copy)
    built = build_index(settings, "lighting", encoder=encoder)
    return settings, built, open_searcher(settings, "lighting", encoder=encoder)


def test_a_colloquial_question_finds_its_passage_through_the_associated_questions(lighting):
    _, built, searcher = lighting
    assert built.questions == sum(len(c.questions) for c in searcher.index.chunks) > 100
    question = "质量有问题多久派人来"
    top = searcher.search(question, 3)[0]
    assert top.chunk.section.endswith(HANDLING) and top.question in top.chunk.questions
    assert top.question_score == top.dense_score > (top.sentence_score or 0)  # found by a question, closer than any sentence
    without = searcher.search(question, 10, questions=False)
    assert without[0].row != top.row and without[0].question is None


def test_an_faq_entry_is_found_by_its_question(lighting):
    settings, _, searcher = lighting
    close = searcher.match_questions("快递运费是谁承担", 2)[0]
    assert close.chunk.doc == "faq" and close.question == "快递运费由谁承担?"
    assert searcher.search("快递运费是谁承担", 3)[0].row == close.row
    # An excluded entry is no candidate at all: the other is scaled as the best there is, not
    # against the excluded one (a benchmark's self-match must not rescale the rest).
    others = searcher.match_questions("快递运费是谁承担", 1, exclude=frozenset({close.row}))
    assert others[0].row != close.row and others[0].score == pytest.approx(settings.dense_weight + settings.question_sparse_weight, rel=0.2)
    # A manual question is not pulled to an FAQ entry it does not match.
    assert searcher.search("哪些产品不能退换", 3)[0].chunk.doc != "faq"


def test_a_version_without_its_question_index_is_refused(lighting):
    settings, built, _ = lighting
    (built.path / QUESTIONS_DENSE_FILE).unlink()
    with pytest.raises(IndexCorrupt):
        load_version(built.path, settings)
