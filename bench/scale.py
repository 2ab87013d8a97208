"""Bench section: synthetic knowledge bases of many chunks, for FAISS and BM25.

Dense: the index holds one vector per quotable sentence (about 4.4 per chunk on kb/), so N
chunks are N x that many vectors. They are made from the real sentence vectors of kb/: each
is a normalised mix of two real sentences plus noise, so neighbourhoods look like the
manuals' (random unit vectors in 512 dimensions have none, which no real index resembles).
Queries are real gold questions. Recall@10 is against exact search over the same vectors.
Sparse: documents drawn from the manuals' own token frequencies, the real chunk lengths.
"""

import os
import time
import tracemalloc
from collections import Counter
from pathlib import Path

import bm25s
import faiss
import numpy as np

from bench.loadgen import latency_summary
from bot.retrieve.index import LoadedIndex, read_chunks
from bot.retrieve.sparse import search_sparse
from indexer.dense_index import TRAIN_PER_LIST, empty_index
from kefu.settings import DenseIndexKind, Settings
from kefu.text.tokenize import Tokenizer

BLOCK = 100_000
NOISE = 0.025  # per dimension: a synthetic vector keeps cosine ~0.8 with its main sentence
SEED = 6


def mix_vectors(main: np.ndarray, other: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each row its main sentence's vector plus up to 0.6 of another's plus noise, normalised."""
    x = main + rng.uniform(0.0, 0.6, (len(main), 1)).astype(np.float32) * other
    x += rng.standard_normal(x.shape, dtype=np.float32) * NOISE
    faiss.normalize_L2(x)
    return x


def synthetic_block(centres: np.ndarray, block: int, rows: int) -> np.ndarray:
    rng = np.random.default_rng((SEED, block))
    a = centres[rng.integers(0, len(centres), rows)]
    b = centres[rng.integers(0, len(centres), rows)]
    return mix_vectors(a, b, rng)


def blocks(centres: np.ndarray, total: int):
    for number, start in enumerate(range(0, total, BLOCK)):
        yield synthetic_block(centres, number, min(BLOCK, total - start))


def exact_top(centres: np.ndarray, total: int, queries: np.ndarray, k: int = 10) -> np.ndarray:
    """Ids of the exact top k for each query, block by block (never all vectors at once)."""
    best_scores = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_ids = np.zeros((len(queries), 0), dtype=np.int64)
    for number, block in enumerate(blocks(centres, total)):
        scores = queries @ block.T
        ids = np.broadcast_to(np.arange(len(block)) + number * BLOCK, scores.shape)
        all_scores = np.concatenate([best_scores, scores], axis=1)
        all_ids = np.concatenate([best_ids, ids], axis=1)
        keep = np.argsort(-all_scores, axis=1)[:, :k]
        best_scores, best_ids = np.take_along_axis(all_scores, keep, 1), np.take_along_axis(all_ids, keep, 1)
    return best_ids


def recall_at_10(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)]))


def time_queries(index: faiss.Index, queries: np.ndarray) -> tuple[dict, np.ndarray]:
    """One query per call, as the server searches."""
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        _, ids = index.search(q.reshape(1, -1), 10)
        times.append((time.perf_counter() - started) * 1000)
        found.append(ids[0])
    return latency_summary(times), np.array(found)


def make_index(kind: str, dimension: int, total: int, settings: Settings) -> tuple[faiss.Index, dict]:
    """The same factory and parameters as `kefu index` (indexer/dense_index.py)."""
    index, info = empty_index(DenseIndexKind(kind), dimension, total, settings)
    return index, {k: v for k, v in info.items() if k not in ("type", "nprobe", "ef_search")}


def bench_faiss_kind(kind: str, centres: np.ndarray, total: int, queries: np.ndarray, exact: np.ndarray, settings: Settings) -> dict:
    index, params = make_index(kind, centres.shape[1], total, settings)
    searching_threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # a build may use every core
    started = time.perf_counter()
    if not index.is_trained:
        train_rows = min(total, TRAIN_PER_LIST * index.nlist)
        index.train(next(iter(blocks(centres, train_rows))) if train_rows <= BLOCK else np.concatenate(list(blocks(centres, train_rows))))
    for block in blocks(centres, total):
        index.add(block)
    build_s = time.perf_counter() - started
    faiss.omp_set_num_threads(searching_threads)  # searched as the server searches
    memory_mb = len(faiss.serialize_index(index)) / 2**20
    sweep = []
    knob = "ef_search" if kind == "hnsw" else "nprobe"
    values = [0] if kind == "flat" else ([32, 64, 96, 128] if kind == "hnsw" else [8, 16, 32, 64])
    for value in values:
        if kind == "hnsw":
            index.hnsw.efSearch = value
        elif kind != "flat":
            index.nprobe = value
        latency, found = time_queries(index, queries)
        sweep.append({knob: value, "recall@10": round(recall_at_10(found, exact), 4), **latency})
    return {"kind": kind, "params": params, "build_s": round(build_s, 2), "memory_mb": round(memory_mb, 1), "sweep": sweep}


def bench_dense_scale(index: LoadedIndex, queries: np.ndarray, chunks: int, kinds: list[str], settings: Settings) -> dict:
    centres = index.dense.reconstruct_n(0, index.dense.ntotal)
    per_chunk = index.dense.ntotal / len(index.chunks)
    total = int(chunks * per_chunk)
    exact = exact_top(centres, total, queries)
    return {"chunks": chunks, "vectors": total, "indexes": [bench_faiss_kind(k, centres, total, queries, exact, settings) for k in kinds]}


def token_distribution(index: LoadedIndex, tokenizer: Tokenizer) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The manuals' tokens with their frequencies, and the chunk lengths in tokens."""
    tokenized = [tokenizer.tokenize(c.index_text()) for c in index.chunks]
    counts = Counter(t for tokens in tokenized for t in tokens)
    vocab = list(counts)
    weights = np.array([counts[t] for t in vocab], dtype=np.float64)
    return vocab, weights / weights.sum(), np.array([max(1, len(t)) for t in tokenized])


def chunk_bytes(chunks_file: Path) -> float:
    """Python memory per loaded chunk, measured on the real chunks file with tracemalloc."""
    tracemalloc.start()
    chunks = read_chunks(chunks_file)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size / max(1, len(chunks))


def server_estimate_mb(idle_rss_mb: float, per_chunk: float, chunks: int, dense_mb: float, sparse_mb: float) -> float:
    """The server at N chunks: its measured idle RSS on kb/ plus what grows with N."""
    return round(idle_rss_mb + chunks * per_chunk / 2**20 + dense_mb + sparse_mb, 1)


def bench_sparse_scale(index: LoadedIndex, tokenizer: Tokenizer, questions: list[str], chunks: int) -> dict:
    vocab, probs, lengths = token_distribution(index, tokenizer)
    rng = np.random.default_rng(SEED)
    doc_lengths = rng.choice(lengths, chunks)
    flat = rng.choice(len(vocab), int(doc_lengths.sum()), p=probs)
    bounds = np.concatenate([[0], np.cumsum(doc_lengths)])
    ids = [flat[bounds[i]:bounds[i + 1]].tolist() for i in range(chunks)]
    started = time.perf_counter()
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenization.Tokenized(ids=ids, vocab={t: i for i, t in enumerate(vocab)}), show_progress=False)
    build_s = time.perf_counter() - started
    memory_mb = sum(a.nbytes for a in (retriever.scores["data"], retriever.scores["indices"], retriever.scores["indptr"])) / 2**20
    tokens = [tokenizer.tokenize(q) for q in questions]
    times = []
    for query in tokens:
        started = time.perf_counter()
        search_sparse(retriever, query, 50)
        times.append((time.perf_counter() - started) * 1000)
    return {"chunks": chunks, "build_s": round(build_s, 2), "memory_mb": round(memory_mb, 1), **latency_summary(times)}
