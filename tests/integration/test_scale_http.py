"""The end-to-end scale bench on small synthetic kbs: written by the indexer in the format the server
loads, served by the real server, its recall computed against exact search (numbers printed by
`kefu bench`, never asserted as speeds here)."""

from bench.scale_http import KB, bench_scale_http, pool_of, served_recall, write_synthetic_kb
from bot.retrieve.index import load_current
from indexer.versions import DENSE_FILE, QUESTIONS_DENSE_FILE
from kefu.gold import gold_file, load_gold
from kefu.kbs import list_kbs
from kefu.text.normalize import fold_for_search
from kefu.text.tokenize import Tokenizer


def real_indexes(settings):
    return [load_current(settings, kb.id) for kb in list_kbs(settings)]


def query_vectors(queries, questions):
    return queries.encode_batch([fold_for_search(q) for q in questions])


def test_the_synthetic_kb_is_served_and_cites_its_own_passages(built_settings, queries, tmp_path):
    indexes = real_indexes(built_settings)
    # the associated questions of real passages: the synthetic passages that keep them answer them
    asked = [chunk.questions[0] for index in indexes for chunk in index.chunks if chunk.questions][::7]
    result = bench_scale_http(built_settings, indexes, asked, query_vectors(queries, asked), 400, tmp_path, quick=True)
    answers = result["answers"]
    assert answers["ok"] == answers["asked"] and answers["citing"] > 0 and answers["citations"] > 0
    assert answers["foreign"] == 0  # every citation is a passage of the synthetic kb
    assert all(case["requests"] > 0 and case["errors"] == 0 for case in result["cases"])
    assert {(case["kind"], case["clients"]) for case in result["cases"]} == {("ask", 1), ("ask", 8), ("search", 1), ("search", 8)}
    assert result["chunks"] == 400 and result["sentences"] >= 400 and result["questions"] > 0
    assert result["dense_index"]["sentences"]["type"] == "flat" and result["recall@10"]["sentences"] == 1.0  # exact is exact
    assert result["server_memory"]["rss_mb"] > 0
    assert (tmp_path / "var" / "index" / KB / "CURRENT").is_file()


def test_recall_is_the_served_ivf_against_exact_search(built_settings, queries, tmp_path):
    """IVF over the synthetic vectors, the sentences' and the associated questions' alike (past
    flat_index_max vectors each): probing every list finds nearly the exact top 10 (only the 8-bit
    codes differ), probing one list finds fewer."""
    settings = built_settings.model_copy(update={"data_dir": tmp_path / "var", "kb_dir": tmp_path / "kb", "flat_index_max": 1000, "ivf_nlist": 32})
    sources = [built_settings.kb_dir / kb.id for kb in list_kbs(built_settings)]
    written = write_synthetic_kb(settings, sources, pool_of(real_indexes(built_settings)), 1200, Tokenizer())
    assert written["embedded"].units.shape[0] > 1000
    questions = [item.question for item in load_gold(gold_file(built_settings))][:100]
    vectors = query_vectors(queries, questions)
    for file, written_vectors in ((DENSE_FILE, written["embedded"].units), (QUESTIONS_DENSE_FILE, written["embedded"].question_vectors)):
        every_list = served_recall(written["version_dir"] / file, settings.model_copy(update={"ivf_nprobe": 32}), vectors, written_vectors)
        one_list = served_recall(written["version_dir"] / file, settings.model_copy(update={"ivf_nprobe": 1}), vectors, written_vectors)
        assert every_list >= 0.9 and one_list < every_list, file
