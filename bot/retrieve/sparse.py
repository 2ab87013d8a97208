"""BM25 over jieba tokens (bm25s sparse matrices): the read side."""

from pathlib import Path

import bm25s
import numpy as np


def load_bm25(folder: Path) -> bm25s.BM25:
    return bm25s.BM25.load(str(folder), mmap=False, allow_pickle=False, show_progress=False)


def search_sparse(retriever: bm25s.BM25, tokens: list[str], k: int) -> dict[int, float]:
    """Top k rows by BM25, zero scores dropped: a chunk sharing no token is not a match.
    k is clamped to the corpus size (bm25s would raise)."""
    token_ids = retriever.get_tokens_ids(tokens)
    if not token_ids:
        return {}
    scores = retriever.get_scores_from_ids(token_ids)
    k = min(k, len(scores))
    best = np.argpartition(-scores, k - 1)[:k]
    return {int(i): float(scores[i]) for i in best if scores[i] > 0}
