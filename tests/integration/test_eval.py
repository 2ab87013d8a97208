"""Metric functions on hand-computed examples, and `kefu eval` on a small slice of the gold set."""

import json
import math

import pytest

from eval.baseline import fixed_chunks
from eval.faq_bench import faq_task, gold_faq_task
from eval.handoff import Row, ece_by_chance, expected_calibration_error, handoff_scores, reliability, threshold_sweep
from eval.metrics import mrr_at, ndcg_at, recall_at, summarize
from eval.run import BASELINE, SETTINGS
from kefu.gold import DEFAULT_GOLD, load_gold

from conftest import run_kefu


def test_recall_mrr_ndcg_on_a_hand_computed_ranking():
    flags = [False, False, True, False]
    assert recall_at(flags, 1) == 0 and recall_at(flags, 3) == 1
    assert mrr_at(flags, 10) == pytest.approx(1 / 3)
    assert ndcg_at(flags, 10) == pytest.approx(1 / math.log2(4))
    assert ndcg_at([True, True], 10) == 1.0
    # Two relevant passages at ranks 2 and 3: DCG 1/log2(3) + 1/log2(4) over the ideal 1 + 1/log2(3).
    assert ndcg_at([False, True, True], 10) == pytest.approx((1 / math.log2(3) + 0.5) / (1 + 1 / math.log2(3)))
    assert ndcg_at([False, False], 10) == 0.0
    assert summarize([[True], [False, True]])["MRR@10"] == pytest.approx(0.75)


def test_handoff_scores_count_unanswerable_as_positive():
    rows = [
        Row(False, False, False, 0.1, False, True),  # unanswerable, handed off: true positive
        Row(False, False, False, 0.6, False, False),  # unanswerable, answered: false negative
        Row(True, True, True, 0.2, False, True),  # answerable, handed off: false positive
        Row(True, True, True, 0.7, False, False),  # answerable, answered
    ]
    scores = handoff_scores(rows)
    assert scores == {"precision": 0.5, "recall": 0.5, "f1": 0.5, "false_handoff_rate": 0.5}
    sweep = threshold_sweep(rows, [0.5])[0]
    assert sweep["answered"] == 2 and sweep["answer_precision"] == 0.5 and sweep["recall"] == 0.5


def test_reliability_bins_and_calibration_error():
    rows = [Row(True, True, True, 0.15, False, True), Row(True, False, False, 0.15, False, True), Row(True, True, True, 0.95, False, False)]
    table = reliability(rows)
    assert [(r["bin"], r["count"], r["accuracy"]) for r in table] == [("0.1-0.2", 2, 0.5), ("0.9-1.0", 1, 1.0)]
    assert expected_calibration_error(table) == pytest.approx((2 * 0.35 + 1 * 0.05) / 3)


def test_the_ece_a_calibrated_model_shows_by_chance_shrinks_with_more_questions_and_is_nil_when_sure():
    def rows(n: int, confidence: float) -> list[Row]:
        return [Row(True, False, False, confidence, False, False)] * n

    few, many = ece_by_chance(rows(20, 0.5)), ece_by_chance(rows(2000, 0.5), draws=200)
    assert 0.05 < few["mean"] < few["p95"] < 0.4 and many["p95"] < 0.03  # |k/n − 1/2|: about 0.4/√n
    assert ece_by_chance(rows(50, 1.0) + rows(50, 0.0)) == {"mean": 0.0, "p95": 0.0}  # sure either way: no luck involved
    assert ece_by_chance(rows(20, 0.5)) == few  # seeded: a report is reproducible


def test_peer_baseline_chunks_are_250_characters_with_50_overlap():
    pieces = fixed_chunks("字" * 600)
    assert [len(p) for p in pieces] == [250, 250, 200]


def test_faq_task_groups_each_querys_positive_partners_and_skips_self_matches():
    pairs = [("a?", "b", 1), ("c", "b", 0), ("d", "d", 1), ("e", "f", 1), ("a?", "f", 1), ("a?", "g", 0), ("b", "g", 1)]
    corpus, queries = faq_task(pairs)
    assert corpus == ["b", "d", "f", "g"]
    # "b" is also an entry: that entry is its self-match, no candidate for it.
    assert queries == [("a?", frozenset({0, 2}), frozenset()), ("e", frozenset({2}), frozenset()), ("b", frozenset({3}), frozenset({0}))]


def test_gold_faq_reading_asks_each_paraphrase_of_the_splits_answerable_items(tmp_path):
    rows = [
        {"id": "q1", "question": "奶过期了能退吗", "persona": "customer", "kb": "dairy", "answerable": True, "doc": "000", "key_phrases": ["x"], "kind": "other", "split": "dev", "paraphrases": ["过期牛奶给退不", "奶放过期了咋办"]},
        {"id": "q2", "question": "投诉几小时上报", "persona": "agent", "kb": "gas", "answerable": True, "doc": "001", "key_phrases": ["y"], "kind": "other", "split": "test", "paraphrases": ["投诉多久报上去"]},
        {"id": "u1", "question": "今天天气怎样", "persona": "customer", "kb": "dairy", "answerable": False, "kind": "out_of_scope", "split": "dev"},
    ]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    corpus, queries = gold_faq_task(gold, "dev")
    assert corpus == ["奶过期了能退吗", "投诉几小时上报", "今天天气怎样"]
    assert queries == [("过期牛奶给退不", frozenset({0}), frozenset()), ("奶放过期了咋办", frozenset({0}), frozenset())]
    assert gold_faq_task(gold, "all")[1][-1] == ("投诉多久报上去", frozenset({1}), frozenset())
    with pytest.raises(ValueError, match="split"):
        gold_faq_task(gold, "tset")


def test_every_answerable_gold_item_has_two_paraphrases_of_its_own():
    items = load_gold(DEFAULT_GOLD)
    questions = {i.question for i in items}
    for item in items:
        if item.answerable:
            assert len(set(item.paraphrases)) == 2 and not questions & set(item.paraphrases), item.id
        else:
            assert item.paraphrases == (), item.id


def test_gold_set_is_large_enough_and_split():
    items = load_gold(DEFAULT_GOLD)
    answerable = [i for i in items if i.answerable]
    assert len(answerable) >= 200 and len(items) - len(answerable) >= 60
    assert {i.doc for i in answerable} == {"000", "001", "002", "003", "004"}
    assert {i.split for i in items} == {"dev", "test"}
    assert len({i.id for i in items}) == len(items)


def test_every_key_phrase_exists_in_kb():
    from kefu.text.normalize import compact

    from conftest import KB_DIR

    texts = {p.name[:3]: compact(p.read_text(encoding="utf-8")) for p in KB_DIR.glob("*/0*.md")}
    missing = [(i.id, phrase) for i in load_gold(DEFAULT_GOLD) if i.answerable for phrase in i.key_phrases if compact(phrase) not in texts[i.doc]]
    assert missing == []


def test_kefu_eval_runs_on_a_small_slice(built_settings, tmp_path):
    lines = DEFAULT_GOLD.read_text(encoding="utf-8").splitlines()
    picked = [l for l in lines if json.loads(l)["answerable"]][:4] + [l for l in lines if not json.loads(l)["answerable"]][:2]
    gold = tmp_path / "slice.jsonl"
    gold.write_text("\n".join(picked) + "\n", encoding="utf-8")
    report_dir = tmp_path / "report"
    result = run_kefu(["eval", "--gold", str(gold), "--split", "all", "--json", "--report", str(report_dir)], built_settings)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["meta"]["questions"] == 6 and report["meta"]["answerable"] == 4
    assert set(report["retrieval"]) == {*SETTINGS, BASELINE}
    in_kb = report["retrieval"]["in kb"]
    assert in_kb["all"]["n"] == 4 and 0 <= in_kb["all"]["R@5"] <= 1
    assert {"all", "customer", "agent"} & set(in_kb) and any(group.startswith("kb:") for group in in_kb)
    assert 0 <= report["unanswerable_answered_no_kb"] <= 1
    assert (report_dir / "report.md").read_text(encoding="utf-8").startswith("# kefu eval")
    assert (report_dir / "reliability.png").read_bytes()[:4] == b"\x89PNG"


def test_kefu_eval_faq_scores_a_small_pair_file_and_names_a_bad_line(built_settings, tmp_path):
    # Our own pairs in the BQ file layout: the research sets are never copied into tests.
    pairs = [
        ("怎么退货", "如何办理退货手续", 1),
        ("客服电话多少", "客服的联系电话是多少", 1),
        ("发票怎么开", "如何开具发票", 1),
        ("怎么退货", "会员积分怎么兑换", 0),
        ("今天天气", "快递几天能到", 0),
    ]
    (tmp_path / "bq").mkdir()
    (tmp_path / "bq" / "BQ.test.data").write_text("".join(f"{a}\t{b}\t{l}\n" for a, b, l in pairs), encoding="utf-8")
    result = run_kefu(["eval", "faq", "--dataset", "bq", "--datasets-dir", str(tmp_path), "--json"], built_settings)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["corpus"], report["queries"]) == (5, 3)
    assert set(report["results"]) == {"hybrid", "sparse", "dense"}
    assert report["results"]["dense"]["R@1"] >= 2 / 3

    (tmp_path / "bq" / "BQ.test.data").write_text("怎么退货\t如何办理退货手续\n", encoding="utf-8")
    result = run_kefu(["eval", "faq", "--dataset", "bq", "--datasets-dir", str(tmp_path)], built_settings)
    assert result.returncode != 0 and "BQ.test.data:1" in result.stderr


def test_kefu_eval_faq_on_the_gold_paraphrases_beats_chance_and_names_a_bad_split(built_settings):
    result = run_kefu(["eval", "faq", "--dataset", "gold", "--split", "dev", "--json"], built_settings)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["dataset"] == "gold dev" and report["corpus"] == len(load_gold(DEFAULT_GOLD))
    # 342 entries: chance R@5 is under 0.015; the paraphrases must find their own item far more often.
    assert report["results"]["hybrid"]["R@5"] > 0.5
    result = run_kefu(["eval", "faq", "--dataset", "gold", "--split", "half"], built_settings)
    assert result.returncode != 0 and "split" in result.stderr
