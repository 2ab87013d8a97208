"""FAQ matching on public customer-service question pairs, through the bot's own retrieval.

A pair set becomes FAQ retrieval as the datasets' README reads it: the corpus is the
distinct second questions, the queries are the distinct first questions of label-1 pairs,
and a query's relevant entries are its label-1 partners. A corpus entry identical to the
query is left out of its results (self-matches). The sets are research-only: read from a
path, never copied.
"""

import sys
from pathlib import Path

import faiss
import numpy as np
from tqdm import tqdm

from bot.retrieve.index import LoadedIndex, unit_layout
from bot.retrieve.search import RetrievalMode, Searcher
from eval.metrics import mean, mrr_at, recall_at
from indexer.build import build_sparse_index
from indexer.chunk import Chunk
from indexer.embed import Encoder
from indexer.embed_cache import EmbeddingCache, model_slug, text_key
from indexer.settings import Settings, cache_root
from indexer.textnorm import Tokenizer, fold_for_search

DATASETS = {"bq": "bq/BQ.test.data", "atec": "atec/ATEC.test.data", "lcqmc": "lcqmc/LCQMC.test.data"}
DEPTH = 10


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


def faq_task(pairs: list[tuple[str, str, int]]) -> tuple[list[str], list[tuple[str, frozenset[int]]]]:
    """(corpus of distinct second questions, [(distinct query, indices of its label-1 partners)]).

    The reading of the datasets' README: a query may have several partners, and a partner
    identical to the query is not counted (it is left out of the results as a self-match).
    """
    corpus = list(dict.fromkeys(s2 for _, s2, _ in pairs))
    position = {text: i for i, text in enumerate(corpus)}
    partners: dict[str, set[int]] = {}
    for s1, s2, label in pairs:
        if label == 1 and s1 != s2:
            partners.setdefault(s1, set()).add(position[s2])
    return corpus, [(query, frozenset(answers)) for query, answers in partners.items()]


def embed_cached(texts: list[str], encoder: Encoder, folder: Path) -> np.ndarray:
    cache = EmbeddingCache(folder, encoder.dimension)
    keys = [text_key(t) for t in texts]
    cached = cache.lookup(keys)
    missing = list(dict.fromkeys(k for k in keys if k not in cached))
    by_key = dict(zip(keys, texts))
    fresh = dict(zip(missing, encoder.encode([by_key[k] for k in missing], show_progress=True))) if missing else {}
    cache.save(fresh, keep=set(keys))
    rows = {**cached, **fresh}
    return np.stack([rows[k] for k in keys]).astype(np.float32)


def corpus_index(corpus: list[str], encoder: Encoder, settings: Settings, name: str) -> LoadedIndex:
    chunks = [Chunk(str(i), "faq-bench", name, name, text, 0, len(text), "text") for i, text in enumerate(corpus)]
    folder = cache_root(settings) / "embeddings" / model_slug(settings.embed_model) / f"bench-{name}"
    vectors = embed_cached([fold_for_search(t) for c in chunks for t in c.unit_index_texts()], encoder, folder)
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    sparse = build_sparse_index(chunks, Tokenizer(), settings)
    owner, start = unit_layout(chunks)
    return LoadedIndex(f"bench-{name}", {"dimension": vectors.shape[1]}, chunks, dense, sparse, owner, start)


def faq_setup(settings: Settings, datasets_dir: Path, dataset: str, limit: int = 0, encoder: Encoder | None = None):
    """(searcher over the set's corpus, [(query, answers)], query vectors through the bot's query path)."""
    if dataset not in DATASETS:
        raise ValueError(f"未知数据集 {dataset!r} / unknown dataset; choose one of {', '.join(DATASETS)}")
    path = datasets_dir / DATASETS[dataset]
    if not path.is_file():
        raise ValueError(f"{path}: 找不到数据集 / dataset not found; pass --datasets-dir")
    corpus, queries = faq_task(read_pairs(path, limit))
    encoder = encoder or Encoder(settings)
    searcher = Searcher(corpus_index(corpus, encoder, settings, dataset), encoder, Tokenizer(), settings)
    # The bot's own query path (int8 when KEFU_QUERY_INT8), without its cache: every query counts.
    vectors = encoder.encode_queries([fold_for_search(q) for q, _ in queries])
    return searcher, queries, vectors


def faq_flags(searcher: Searcher, query: str, answers: frozenset[int], vector, mode: RetrievalMode) -> list[bool]:
    hits = [h for h in searcher.search(query, DEPTH + 1, mode, query_vector=vector) if h.chunk.text != query][:DEPTH]
    return [int(h.chunk.id) in answers for h in hits]


def run_faq_benchmark(settings: Settings, datasets_dir: Path, dataset: str, limit: int = 0, encoder: Encoder | None = None) -> dict:
    searcher, queries, vectors = faq_setup(settings, datasets_dir, dataset, limit, encoder)
    scores: dict[str, dict[str, list[float]]] = {m.value: {"R@1": [], "R@5": [], "MRR@10": []} for m in RetrievalMode}
    for (query, answers), vector in tqdm(zip(queries, vectors), total=len(queries), desc=f"faq {dataset}", unit="q", file=sys.stderr):
        for mode in RetrievalMode:
            flags = faq_flags(searcher, query, answers, vector, mode)
            scores[mode.value]["R@1"].append(recall_at(flags, 1))
            scores[mode.value]["R@5"].append(recall_at(flags, 5))
            scores[mode.value]["MRR@10"].append(mrr_at(flags, 10))
    return {
        "dataset": dataset,
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
