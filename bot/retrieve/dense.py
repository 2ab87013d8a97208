"""FAISS inner-product search over normalised embeddings: the read side."""

from pathlib import Path

import faiss
import numpy as np

from indexer.dense_index import prepare_for_search
from kefu.settings import Settings


def load_faiss(path: Path, settings: Settings) -> faiss.Index:
    return prepare_for_search(faiss.read_index(str(path)), settings)


UNITS_PER_CHUNK = 4  # sentences fetched per wanted chunk, so k distinct chunks come back


def search_dense(index: faiss.Index, owner: np.ndarray, query_vector: np.ndarray, k: int) -> dict[int, float]:
    """Top k chunks by their best unit's cosine (inner product of normalised vectors)."""
    wanted = min(k * UNITS_PER_CHUNK, index.ntotal)
    if wanted == 0:
        return {}
    scores, ids = index.search(query_vector.reshape(1, -1), wanted)
    best: dict[int, float] = {}
    for unit, score in zip(ids[0], scores[0]):
        if unit < 0:
            continue
        best.setdefault(int(owner[unit]), float(score))  # results come best first
        if len(best) == k:
            break
    return best
