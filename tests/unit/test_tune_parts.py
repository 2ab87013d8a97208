"""What `kefu tune` learns from and how it checks itself, without the model: the pairs a kb gives,
the held-out split, the held-out ranking and the weight average, on small exact examples."""

import numpy as np
import pytest
import torch

from indexer.build import chunk_documents, load_documents, unit_texts
from indexer.faq import append_faq
from indexer.tune.average import averaged, choose_weight
from indexer.tune.heldout import held_out_checks, ranked_flags, summary
from indexer.tune.pairs import FAQ, HEADING, QUESTION, held_out_count, passage_text, tune_data
from kefu.text.colloquial import spoken_to_written

from conftest import TINY, make_settings, make_tiny_kb


@pytest.fixture
def tiny(tmp_path):
    make_tiny_kb(tmp_path / "kb")
    settings = make_settings(tmp_path, kb_dir=tmp_path / "kb")
    return settings, chunk_documents(load_documents(settings.kb_dir / TINY), settings, TINY)


def test_each_question_and_heading_is_paired_with_its_passage_as_the_index_embeds_it(tiny):
    _, chunks = tiny
    data = tune_data({TINY: chunks}, 0.1, seed=0)
    assert [len(c.questions) for c in chunks] == [4, 4, 4, 4]
    assert len(data.held_out) == 2  # a tenth of 16, rounded, at least one
    held = {item.question for item in data.held_out}
    questions = [p for p in data.pairs if p.source == QUESTION]
    assert len(questions) == 14 and not held & {p.anchor for p in data.pairs}
    refund = chunks[0]
    assert passage_text(refund) == unit_texts([refund])[0] == "一、退货 商品签收后7天内可以无理由退货,退货运费由顾客承担。"
    # in the written form the index and the query encoder use: the manual's 积分能抵钱不 is learnt as 积分能抵钱吗
    assert "积分能抵钱吗" in {p.anchor for p in data.pairs} | held and "积分能抵钱不" not in {p.anchor for p in data.pairs} | held
    assert {p.positive for p in data.pairs if p.passage == refund.id} == {passage_text(refund)}  # one text per passage
    assert sorted(p.anchor for p in data.pairs if p.source == HEADING) == sorted(["退货", "营业时间", "会员积分", "发票"])
    assert data.counts() == {TINY: {"passages": 4, QUESTION: 14, FAQ: 0, HEADING: 4, "held_out": 2}}


def test_the_held_out_split_is_seeded_and_a_question_keeps_its_side_when_others_are_added(tiny, tmp_path):
    settings, chunks = tiny
    first = tune_data({TINY: chunks}, 0.1, seed=0)
    assert tune_data({TINY: chunks}, 0.1, seed=0).data_hash() == first.data_hash()
    assert {h.question for h in tune_data({TINY: chunks}, 0.1, seed=1).held_out} != {h.question for h in first.held_out}
    append_faq(settings.kb_dir / TINY, "可以送货上门吗", "满一百元可以送货上门。", "王编辑")
    grown = tune_data({TINY: chunk_documents(load_documents(settings.kb_dir / TINY), settings, TINY)}, 0.1, seed=0)
    assert {h.question for h in first.held_out} <= {h.question for h in grown.held_out}
    faq = [p for p in grown.pairs if p.source == FAQ] + [h for h in grown.held_out if h.question == spoken_to_written("可以送货上门吗")]
    assert len(faq) == 1  # the editor's entry, on one side or the other


def test_a_kb_gives_a_held_out_question_once_it_has_two():
    assert [held_out_count(n, 0.1) for n in (0, 1, 2, 14, 15, 16, 274)] == [0, 0, 1, 1, 2, 2, 27]


def test_a_passage_ranks_by_its_best_unit():
    # Passage 0 has units 0-1, passage 1 unit 2, passage 2 units 3-4; vectors need not be unit length here.
    units = np.array([[1, 0], [0.2, 0.9], [0.8, 0.5], [0, 1], [0.6, 0.6]], dtype=np.float32)
    starts = np.array([0, 2, 3])
    queries = np.array([[0, 1], [1, 0]], dtype=np.float32)
    flags = ranked_flags(queries, units, starts, [frozenset({1}), frozenset({0})])
    # query 0 scores passages 0.9, 0.5, 1.0 → order 2, 0, 1; query 1 scores 1.0, 0.8, 0.6 → 0, 1, 2
    assert flags == [[False, False, True], [True, False, False]]
    assert summary(flags) == {"questions": 2, "r@1": 0.5, "mrr@10": pytest.approx((1 / 3 + 1) / 2, abs=1e-4)}


def test_the_held_out_check_searches_every_passage_of_the_questions_kb(tiny):
    _, chunks = tiny
    data = tune_data({TINY: chunks, "other": chunks[:1]}, 0.1, seed=0)
    checks = held_out_checks(data)
    tiny_check = next(c for c in checks if c.kb == TINY)
    assert len(tiny_check.units) == 4 and list(tiny_check.starts) == [0, 1, 2, 3] and len(tiny_check.queries) == 2


def test_weight_averaging_and_its_choice():
    base, tuned = {"w": torch.tensor([0.0, 2.0]), "ids": torch.tensor([1, 2])}, {"w": torch.tensor([4.0, 2.0]), "ids": torch.tensor([1, 2])}
    mixed = averaged(base, tuned, 0.25)
    assert mixed["w"].tolist() == [1.0, 2.0] and mixed["ids"].tolist() == [1, 2]
    grid = [{"weight": 0.25, "mrr@10": 0.60}, {"weight": 0.5, "mrr@10": 0.655}, {"weight": 0.75, "mrr@10": 0.66}, {"weight": 1.0, "mrr@10": 0.64}]
    assert choose_weight(grid) == 0.5  # within 0.01 of the best (0.66), the smallest tuned share
    assert choose_weight(grid, tolerance=0) == 0.75
