"""The real index over kb/ with the real model: the issue's rank-1 questions, modes, and the CLI."""

import json

import numpy as np
import pytest

from bot.retrieve.search import RetrievalMode

from conftest import run_kefu

RANK_ONE = [
    ("电话铃响几声内必须接听", "电话铃响3声内"),
    ("保质期满的产品能退吗", "保质期满的产品"),
    ("投诉预警信息多久内上报", "30分钟内形成"),
]


@pytest.mark.parametrize("question,expected", RANK_ONE)
def test_key_questions_land_at_rank_one(searcher, question, expected):
    hits = searcher.search(question, k=5)
    assert expected in hits[0].chunk.text, [h.chunk.text[:40] for h in hits]


def test_rank_one_for_the_return_question_is_the_not_returnable_list(searcher):
    top = searcher.search("保质期满的产品能退吗", k=1)[0]
    assert "不可退货/换的产品" in top.chunk.section


def test_traditional_characters_find_the_same_passage(searcher):
    simplified = searcher.search("电话铃响几声内必须接听", k=1)[0].chunk.id
    assert searcher.search("電話鈴響幾聲內必須接聽", k=1)[0].chunk.id == simplified


def test_hits_carry_both_component_scores(searcher):
    hit = searcher.search("电话铃响几声内必须接听", k=1)[0]
    assert 0 < hit.dense_score <= 1.0001 and hit.sparse_score > 0


@pytest.mark.parametrize("mode", list(RetrievalMode))
def test_every_mode_returns_ranked_distinct_hits(searcher, mode):
    hits = searcher.search("客户投诉怎么处理", k=5, mode=mode)
    assert len(hits) == 5 and len({h.chunk.id for h in hits}) == 5
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


def test_a_query_with_no_known_words_still_gets_dense_results(searcher):
    hits = searcher.search("zzzz qqqq", k=3)
    assert len(hits) == 3 and all(h.sparse_score is None for h in hits)


def test_cli_search_file_prints_one_json_object_per_line_in_order(built_settings, tmp_path):
    questions = tmp_path / "questions.txt"
    questions.write_text("电话铃响几声内必须接听\n\n保质期满的产品能退吗\n", encoding="utf-8")
    result = run_kefu(["search", "--file", str(questions), "-k", "2", "--json"], built_settings)
    assert result.returncode == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["query"] for line in lines] == ["电话铃响几声内必须接听", "保质期满的产品能退吗"]
    first = lines[0]["results"][0]
    assert set(first) >= {"id", "doc", "title", "section", "text", "score"}
    assert "电话铃响3声内" in first["text"] and len(lines[0]["results"]) == 2


def test_cli_search_refuses_an_empty_query(built_settings):
    result = run_kefu(["search", "   "], built_settings)
    assert result.returncode == 1 and "empty" in result.stderr


def test_searching_dense_beside_bm25_ranks_as_one_thread_does(built_settings, encoder):
    """KEFU_DENSE_THREADS encodes and searches the dense indexes on other threads while BM25 runs:
    the same hits, scores and query vector as doing it all in the asking thread, for questions
    asked from several threads at once."""
    from concurrent.futures import ThreadPoolExecutor

    from bot.assemble import open_searcher
    from bot.retrieve.search import passage_fusion

    questions = [q for q, _ in RANK_ONE] + ["你们家奶都有哪几个系列啊", "喝了牛奶拉肚子怎么办", "顾客要求换货", "今天天气怎样"]
    one_thread, beside = (open_searcher(built_settings.model_copy(update={"dense_threads": n}), encoder=encoder) for n in (0, 2))
    assert one_thread.queries._beside is None and beside.queries._beside is not None

    def ranked(searcher, question):
        hits, vector = searcher.rank_and_vector(question, 10, RetrievalMode.hybrid, passage_fusion(built_settings))
        return [(h.chunk.id, round(h.score, 6), h.question, h.char_score) for h in hits], vector

    with ThreadPoolExecutor(4) as pool:
        concurrent = list(pool.map(lambda q: ranked(beside, q), questions * 2))
    for question, (hits, vector) in zip(questions * 2, concurrent):
        expected_hits, expected_vector = ranked(one_thread, question)
        assert hits == expected_hits, question
        assert np.array_equal(vector, expected_vector), question
