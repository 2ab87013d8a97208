"""FAISS inner-product search over normalised embeddings: the read side."""

from pathlib import Path

import faiss
import numpy as np

from indexer.dense_index import prepare_for_search
from kefu.errors import IndexCorrupt
from kefu.settings import Settings

FINITE_CHECK_ROWS = 65536  # vectors reconstructed at a time when a loaded index is checked


def load_faiss(path: Path, settings: Settings) -> faiss.Index:
    """The index, ready to search, refused (IndexCorrupt) when a vector is not finite: its
    checksum may well hold, since the NaN was there when it was written."""
    index = prepare_for_search(faiss.read_index(str(path)), settings)
    for start in range(0, index.ntotal, FINITE_CHECK_ROWS):
        block = index.reconstruct_n(start, min(FINITE_CHECK_ROWS, index.ntotal - start))
        if not np.isfinite(block).all():
            raise IndexCorrupt(f"{path.parent.name}: {path.name} 含有 NaN 或无穷大的向量 / holds vectors that are not finite (NaN or infinite)")
    return index


UNITS_PER_CHUNK = 4  # sentences fetched per wanted chunk, so k distinct chunks come back


def search_dense_units(index: faiss.Index, owner: np.ndarray, query_vector: np.ndarray, k: int, per_owner: int = UNITS_PER_CHUNK) -> dict[int, tuple[float, int]]:
    """Top k owners (chunks) by their best unit's cosine (inner product of normalised vectors),
    each with (cosine, that unit's row); `per_owner` units are fetched per wanted owner."""
    wanted = min(k * per_owner, index.ntotal)
    if wanted == 0:
        return {}
    scores, ids = index.search(query_vector.reshape(1, -1), wanted)
    best: dict[int, tuple[float, int]] = {}
    for unit, score in zip(ids[0], scores[0]):
        if unit < 0:
            continue
        best.setdefault(int(owner[unit]), (float(score), int(unit)))  # results come best first
        if len(best) == k:
            break
    return best


def search_dense(index: faiss.Index, owner: np.ndarray, query_vector: np.ndarray, k: int) -> dict[int, float]:
    """Top k chunks by their best unit's cosine."""
    return {row: score for row, (score, _) in search_dense_units(index, owner, query_vector, k).items()}
