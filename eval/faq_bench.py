"""FAQ matching, a question against questions, through the bot's associated-question channels
(`Searcher.match_questions`: BM25 and dense over the questions, fused with the passages' weights).

A public pair set becomes FAQ retrieval as the datasets' README reads it: the corpus is the
distinct second questions, the queries are the distinct first questions of label-1 pairs,
and a query's relevant entries are its label-1 partners. A corpus entry identical to the
query (a self-match) is no candidate for it: it is left out before fusion, as if it were not
in the corpus, so that it cannot rescale the other candidates' scores. The sets are
research-only: read from a path, never copied.

The gold set has an FAQ reading too (`gold`): every gold question is an FAQ entry, and each
answerable item's hand-written paraphrases (another user asking the same thing) are queries
whose answer is that item. The public sets show what the weights chosen on the gold set's
dev half (for passages) cost or gain on general question matching; they never choose.
"""

import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
from tqdm import tqdm

from bot.retrieve.index import LoadedIndex, QuestionIndex
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.search import RetrievalMode, Searcher
from eval.metrics import mean, mrr_at, recall_at
from indexer.build import build_char_index, build_question_index
from indexer.chunk import PATH_SEPARATOR, Chunk
from indexer.embed import embed_texts
from indexer.embed_cache import EmbeddingCache, model_slug
from indexer.faq import FAQ_DOC_ID
from kefu.gold import check_split, gold_file, load_gold
from kefu.model import Encoder
from kefu.settings import DenseIndexKind, Settings, cache_root
from kefu.text.normalize import fold_for_search
from kefu.text.tokenize import Tokenizer

DATASETS = {"bq": "bq/BQ.test.data", "atec": "atec/ATEC.test.data", "lcqmc": "lcqmc/LCQMC.test.data"}
GOLD = "gold"
DEPTH = 10


class FaqQuery(NamedTuple):
    text: str
    answers: frozenset[int]  # corpus positions of the entries that answer it
    skip: frozenset[int]  # the corpus entry identical to the query, if any: a self-match


FaqTask = tuple[list[str], list[FaqQuery]]


def faq_query(text: str, answers, position: dict[str, int]) -> FaqQuery:
    return FaqQuery(text, frozenset(answers), frozenset({position[text]}) if text in position else frozenset())


def read_pairs(path: Path, limit: int = 0) -> list[tuple[str, str, int]]:
    pairs = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) != 3 or parts[2] not in ("0", "1"):
                raise ValueError(f"{path}:{number}: 应为 问题1<TAB>问题2<TAB>标签 / expected sentence1<TAB>sentence2<TAB>label")
            pairs.append((parts[0], parts[1], int(parts[2])))
            if limit and len(pairs) >= limit:
                break
    return pairs


def faq_task(pairs: list[tuple[str, str, int]]) -> FaqTask:
    """(corpus of distinct second questions, a FaqQuery per distinct first question of a label-1 pair).

    The reading of the datasets' README: a query may have several partners, and a partner
    identical to the query is not counted (it is a self-match, skipped).
    """
    corpus = list(dict.fromkeys(s2 for _, s2, _ in pairs))
    position = {text: i for i, text in enumerate(corpus)}
    partners: dict[str, set[int]] = {}
    for s1, s2, label in pairs:
        if label == 1 and s1 != s2:
            partners.setdefault(s1, set()).add(position[s2])
    return corpus, [faq_query(query, answers, position) for query, answers in partners.items()]


def gold_faq_task(gold_path: Path, split: str) -> FaqTask:
    """(every gold question, a FaqQuery per paraphrase of the split's answerable items, answered by its item)."""
    check_split(split)
    items = load_gold(gold_path)
    corpus = [item.question for item in items]
    positions = {text: i for i, text in enumerate(corpus)}
    queries = [
        faq_query(paraphrase, {position}, positions)
        for position, item in enumerate(items)
        if item.answerable and split in ("all", item.split)
        for paraphrase in item.paraphrases
    ]
    return corpus, queries


def faq_entries_index(corpus: list[str], encoder: Encoder, settings: Settings, name: str) -> LoadedIndex:
    """An index whose every passage is an FAQ entry with one associated question, the corpus
    question, as a kb's faq.md entries are; only the question channels are searched."""
    chunks = [Chunk(str(i), FAQ_DOC_ID, name, f"{name}{PATH_SEPARATOR}{text}", text, 0, len(text), "text", (text,), name) for i, text in enumerate(corpus)]
    cache = EmbeddingCache(cache_root(settings) / "embeddings" / model_slug(settings.embed_model) / f"bench-{name}", encoder.dimension)
    vectors, _, _ = embed_texts([fold_for_search(text) for text in corpus], encoder, cache)
    exact = settings.model_copy(update={"dense_index": DenseIndexKind.flat})  # matching quality, not the search's recall
    dense, sparse = build_question_index(corpus, vectors, Tokenizer(), exact)
    rows = np.arange(len(chunks), dtype=np.int64)
    manifest = {"dimension": vectors.shape[1], "kb": name}
    chars = build_char_index(corpus, settings)  # FAQ matching does not search it; the index holds one as every version does
    return LoadedIndex(f"bench-{name}", manifest, chunks, dense, sparse, rows, np.arange(len(chunks) + 1), QuestionIndex(dense, sparse, rows, chars))


def read_task(settings: Settings, datasets_dir: Path, dataset: str, limit: int, split: str) -> FaqTask:
    if dataset == GOLD:
        return gold_faq_task(gold_file(settings), split)
    if dataset not in DATASETS:
        raise ValueError(f"未知数据集 {dataset!r} / unknown dataset; choose one of {', '.join([*DATASETS, GOLD])}")
    path = datasets_dir / DATASETS[dataset]
    if not path.is_file():
        raise ValueError(f"{path}: 找不到数据集 / dataset not found; pass --datasets-dir")
    return faq_task(read_pairs(path, limit))


def faq_setup(settings: Settings, datasets_dir: Path, dataset: str, limit: int = 0, encoder: Encoder | None = None, split: str = "test"):
    """(searcher over the set's FAQ entries, its FaqQuery list, query vectors through the bot's
    query path). `split` applies to the gold set only."""
    corpus, queries = read_task(settings, datasets_dir, dataset, limit, split)
    encoder = encoder or Encoder(settings)
    query_encoder = QueryEncoder(encoder, settings)
    searcher = Searcher(faq_entries_index(corpus, encoder, settings, dataset), query_encoder, Tokenizer(), settings)
    # The bot's own query path (int8 when KEFU_QUERY_INT8), without its cache: every query counts.
    vectors = query_encoder.encode_batch([fold_for_search(q.text) for q in queries])
    return searcher, queries, vectors


def faq_flags(searcher: Searcher, query: FaqQuery, vector, mode: RetrievalMode) -> list[bool]:
    hits = searcher.match_questions(query.text, DEPTH, mode, query_vector=vector, exclude=query.skip)
    return [int(h.chunk.id) in query.answers for h in hits]


def run_faq_benchmark(settings: Settings, datasets_dir: Path, dataset: str, limit: int = 0, encoder: Encoder | None = None, split: str = "test") -> dict:
    searcher, queries, vectors = faq_setup(settings, datasets_dir, dataset, limit, encoder, split)
    scores: dict[str, dict[str, list[float]]] = {m.value: {"R@1": [], "R@5": [], "MRR@10": []} for m in RetrievalMode}
    for query, vector in tqdm(zip(queries, vectors), total=len(queries), desc=f"faq {dataset}", unit="q", file=sys.stderr):
        for mode in RetrievalMode:
            flags = faq_flags(searcher, query, vector, mode)
            scores[mode.value]["R@1"].append(recall_at(flags, 1))
            scores[mode.value]["R@5"].append(recall_at(flags, 5))
            scores[mode.value]["MRR@10"].append(mrr_at(flags, 10))
    return {
        "dataset": f"{GOLD} {split}" if dataset == GOLD else dataset,
        "pairs": limit or "all",
        "corpus": len(searcher.index.chunks),
        "queries": len(queries),
        "results": {mode: {metric: mean(values) for metric, values in table.items()} for mode, table in scores.items()},
    }


def render_faq_table(results: list[dict]) -> str:
    lines = ["| dataset | queries | corpus | retrieval | R@1 | R@5 | MRR@10 |", "|---|---|---|---|---|---|---|"]
    for result in results:
        for mode, metrics in result["results"].items():
            lines.append(
                f"| {result['dataset']} | {result['queries']} | {result['corpus']} | {mode} | "
                f"{metrics['R@1']:.3f} | {metrics['R@5']:.3f} | {metrics['MRR@10']:.3f} |"
            )
    return "\n".join(lines)
