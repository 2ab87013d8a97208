"""FAQ mode on a real index: an editor's entry is matched by its question, not only its answer."""

import pytest

from bot.assemble import open_searcher
from bot.retrieve.index import load_version
from indexer.build import build_index
from indexer.faq import append_faq
from indexer.versions import QUESTIONS_DENSE_FILE
from kefu.errors import IndexCorrupt

from conftest import make_settings


def test_an_faq_entry_goes_first_when_its_question_is_asked_in_other_words(tmp_path, kb_copy, encoder):
    append_faq(kb_copy, "快递运费由谁承担?", "质量问题退换货的运费由公司承担。", "王编辑")
    append_faq(kb_copy, "会员积分怎么兑换?", "积分兑换请咨询门店。", "王编辑")
    settings = make_settings(tmp_path, kb_dir=kb_copy)
    built = build_index(settings, encoder=encoder)
    searcher = open_searcher(settings, encoder=encoder)
    assert searcher.index.manifest["counts"]["faq_questions"] == 2

    close = searcher.match_questions("快递运费是谁承担", 2)[0]
    assert close.chunk.section.endswith("快递运费由谁承担?") and close.dense_score >= settings.faq_min_cosine
    assert searcher.search("快递运费是谁承担", 3)[0].row == close.row
    # Another wording still finds the entry in FAQ mode, but too far from it to be promoted.
    loose = searcher.match_questions("寄回去的邮费谁来付", 2)
    assert loose[0].row == close.row and loose[0].dense_score < settings.faq_min_cosine
    # An excluded entry is no candidate at all: the other is scaled as the best there is, not
    # against the excluded one (a benchmark's self-match must not rescale the rest).
    others = searcher.match_questions("快递运费是谁承担", 2, exclude=frozenset({close.row}))
    assert [h.chunk.section.endswith("会员积分怎么兑换?") for h in others] == [True]
    assert others[0].score >= settings.faq_dense_weight
    # A manual question is not pulled to an FAQ entry it does not match.
    assert searcher.search("纯牛奶有哪几种包装", 3)[0].chunk.doc != "faq"

    (built.path / QUESTIONS_DENSE_FILE).unlink()
    with pytest.raises(IndexCorrupt):
        load_version(built.path, settings)


def test_an_index_without_faq_entries_has_no_question_index(searcher):
    assert searcher.index.questions is None and searcher.match_questions("运费谁出") == []
