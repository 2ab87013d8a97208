"""The dense index type, chosen by the number of vectors (of the quotable sentences, or of the
associated questions: each index by its own count).

Measured on a 2-core machine (docs/performance.md, scale): exact search is fastest to build
and good up to tens of thousands of vectors; above, IVF with 8-bit scalar-quantised vectors
keeps recall@10 at or above 0.95 of exact with a quarter of the memory and builds in about a
minute, where HNSW needs many. IVF-PQ (64 bytes a vector) fits millions of vectors in little
memory but found only 0.19 of the exact top 10 at 1M chunks; it is there to force, not chosen.
All use inner product on normalised vectors, i.e. cosine.
"""

import math

import faiss
import numpy as np

from kefu.settings import DenseIndexKind, Settings

PQ_BYTES = 64  # sub-quantisers of IVF-PQ: 512 dimensions in 64 codes of 8 bits
TRAIN_PER_LIST = 64  # training vectors per inverted list (FAISS warns below 39)


def choose_kind(vectors: int, settings: Settings) -> DenseIndexKind:
    if settings.dense_index != DenseIndexKind.auto:
        return settings.dense_index
    return DenseIndexKind.flat if vectors <= settings.flat_index_max else DenseIndexKind.ivf_sq8


def ivf_lists(vectors: int, settings: Settings) -> int:
    """KEFU_IVF_NLIST, or about sqrt(N) lists rounded to a power of two (at least 16)."""
    if settings.ivf_nlist:
        return settings.ivf_nlist
    return max(16, 2 ** round(math.log2(math.sqrt(max(vectors, 1)))))


def empty_index(kind: DenseIndexKind, dimension: int, vectors: int, settings: Settings) -> tuple[faiss.Index, dict]:
    ip = faiss.METRIC_INNER_PRODUCT
    if kind == DenseIndexKind.flat:
        return faiss.IndexFlatIP(dimension), {"type": "flat"}
    if kind == DenseIndexKind.hnsw:
        index = faiss.IndexHNSWFlat(dimension, settings.hnsw_m, ip)
        index.hnsw.efConstruction = max(2 * settings.hnsw_m, 80)
        return index, {"type": "hnsw", "m": settings.hnsw_m, "ef_search": settings.hnsw_ef_search}
    nlist = ivf_lists(vectors, settings)
    quantizer = faiss.IndexFlatIP(dimension)
    info = {"type": kind.value, "nlist": nlist, "nprobe": settings.ivf_nprobe}
    if kind == DenseIndexKind.ivf_sq8:
        return faiss.IndexIVFScalarQuantizer(quantizer, dimension, nlist, faiss.ScalarQuantizer.QT_8bit, ip), info
    return faiss.IndexIVFPQ(quantizer, dimension, nlist, PQ_BYTES, 8, ip), {**info, "pq_bytes": PQ_BYTES}


def build_dense_index(vectors: np.ndarray, settings: Settings) -> tuple[faiss.Index, dict]:
    """The index for these normalised rows, trained when its kind needs it, rows added in order."""
    kind = choose_kind(len(vectors), settings)
    index, info = empty_index(kind, vectors.shape[1], len(vectors), settings)
    if not index.is_trained:
        rng = np.random.default_rng(0)
        sample = min(len(vectors), TRAIN_PER_LIST * info["nlist"])
        index.train(vectors[np.sort(rng.choice(len(vectors), sample, replace=False))])
    index.add(vectors)
    return index, info


def prepare_for_search(index: faiss.Index, settings: Settings) -> faiss.Index:
    """Search breadth and threads from the settings; IVF rows made reconstructable (answers
    quote by row). FAISS's thread count is per process: the reading process sets it here."""
    if settings.faiss_threads:
        faiss.omp_set_num_threads(settings.faiss_threads)
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = settings.hnsw_ef_search
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        ivf.nprobe = settings.ivf_nprobe
        ivf.make_direct_map()
    return index
