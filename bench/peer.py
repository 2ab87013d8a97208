"""Bench section: the peer, the pipeline a user would otherwise assemble with default settings:
rank-bm25 (BM25Okapi) over plain jieba tokens, a SentenceTransformer.encode per request, flat
FAISS over the same sentence vectors, reciprocal-rank fusion. Only its query time is compared.
"""

import time

import faiss
import jieba
import numpy as np
from rank_bm25 import BM25Okapi

from bench.loadgen import latency_summary
from bot.retrieve.index import LoadedIndex

DEPTH = 50


class NaivePipeline:
    """Over one index, or several taken as one corpus (rows numbered on across them)."""

    def __init__(self, indexes: LoadedIndex | list[LoadedIndex], model):
        indexes = [indexes] if isinstance(indexes, LoadedIndex) else indexes
        self.model = model  # a SentenceTransformer, called with its defaults
        self.chunks = [chunk for index in indexes for chunk in index.chunks]
        self.bm25 = BM25Okapi([jieba.lcut(chunk.index_text()) for chunk in self.chunks])
        vectors = np.vstack([index.dense.reconstruct_n(0, index.dense.ntotal) for index in indexes])
        self.dense = faiss.IndexFlatIP(vectors.shape[1])
        self.dense.add(vectors)
        offsets = np.cumsum([0] + [len(index.chunks) for index in indexes[:-1]])
        self.owner = np.concatenate([index.unit_owner + offset for index, offset in zip(indexes, offsets)])

    def search(self, question: str, k: int = 5) -> list[int]:
        scores = self.bm25.get_scores(jieba.lcut(question))
        sparse = list(np.argsort(-scores)[:DEPTH])
        vector = self.model.encode([question])
        faiss.normalize_L2(vector)
        _, ids = self.dense.search(vector, DEPTH)
        dense = list(dict.fromkeys(int(self.owner[i]) for i in ids[0] if i >= 0))
        fused: dict[int, float] = {}
        for ranking in (sparse, dense):
            for rank, row in enumerate(ranking, start=1):
                fused[int(row)] = fused.get(int(row), 0.0) + 1 / (60 + rank)
        return sorted(fused, key=fused.get, reverse=True)[:k]


def load_default_model(path: str):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(path, device="cpu", local_files_only=True)


def bench_peer(index: LoadedIndex, model_path: str, questions: list[str], default_threads: int) -> dict:
    """Per-query latency of the naive pipeline, with torch at its default thread count."""
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(default_threads)
    try:
        peer = NaivePipeline(index, load_default_model(model_path))
        for question in questions[:5]:
            peer.search(question)
        times = []
        for question in questions:
            started = time.perf_counter()
            peer.search(question)
            times.append((time.perf_counter() - started) * 1000)
    finally:
        torch.set_num_threads(saved)
    return {"threads": default_threads, **latency_summary(times)}
