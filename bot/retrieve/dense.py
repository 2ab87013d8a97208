"""FAISS inner-product search over normalised embeddings: the read side."""

from pathlib import Path

import faiss
import numpy as np


def load_faiss(path: Path, ef_search: int) -> faiss.Index:
    index = faiss.read_index(str(path))
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = ef_search
    return index


def search_dense(index: faiss.Index, query_vector: np.ndarray, k: int) -> dict[int, float]:
    """Top k rows by cosine (inner product of normalised vectors)."""
    k = min(k, index.ntotal)
    if k == 0:
        return {}
    scores, ids = index.search(query_vector.reshape(1, -1), k)
    return {int(i): float(s) for i, s in zip(ids[0], scores[0]) if i >= 0}
