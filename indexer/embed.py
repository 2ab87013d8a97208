"""The embed stage of a build: each quotable unit's vector, from the cache when its text is
unchanged, so editing one manual re-embeds only the sentences it changed."""

from collections.abc import Callable

import numpy as np

from indexer.embed_cache import EmbeddingCache, text_key
from kefu.errors import EmbeddingFailed
from kefu.model import Encoder

# progress(stage, done, total): the build's stages are load, chunk, embed, write, check, publish.
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    pass


def check_finite(vectors: np.ndarray, texts: list[str]) -> np.ndarray:
    """The model's vectors, or EmbeddingFailed: a NaN vector is as close to every query as none, and
    would be cached and served from then on."""
    spoilt = np.flatnonzero(~np.isfinite(vectors).all(axis=1))
    if len(spoilt):
        example = texts[spoilt[0]][:40]
        raise EmbeddingFailed(
            f"嵌入模型给出了 {len(spoilt)} 个含 NaN 或无穷大的向量,索引未更新 / the embedding model returned {len(spoilt)} vectors "
            f"that are not finite (NaN or infinite), e.g. for {example!r}; the index is unchanged: check the model (KEFU_EMBED_MODEL)"
        )
    return vectors


def encode_missing(texts: list[str], encoder: Encoder, progress: Progress, already: int, total: int) -> np.ndarray:
    """The texts' vectors, one batch per encode call so that progress counts every batch done
    (cached units included); longest first, as the encoder would order them, so batches pad little."""
    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    vectors = np.zeros((len(texts), encoder.dimension), np.float32)
    for start in range(0, len(order), encoder.batch_size):
        rows = order[start : start + encoder.batch_size]
        batch = [texts[i] for i in rows]
        vectors[rows] = check_finite(encoder.encode(batch), batch)
        progress("embed", already + start + len(rows), total)
    return vectors


def embed_texts(texts: list[str], encoder: Encoder, cache: EmbeddingCache, progress: Progress = no_progress) -> tuple[np.ndarray, int, int]:
    """Vectors of the (already folded) texts, in order (embedded count, reused count); unchanged
    texts come from the cache, which keeps only these texts afterwards, so embed a version's
    texts in one call."""
    keys = [text_key(t) for t in texts]
    cached = cache.lookup(keys)
    missing = list(dict.fromkeys(k for k in keys if k not in cached))
    by_key = dict(zip(keys, texts))
    fresh: dict[str, np.ndarray] = {}
    progress("embed", len(keys) - len(missing), len(keys))
    if missing:
        vectors = encode_missing([by_key[k] for k in missing], encoder, progress, len(keys) - len(missing), len(keys))
        fresh = dict(zip(missing, vectors))
    cache.save(fresh, keep=set(keys))
    rows = {**cached, **fresh}
    matrix = np.stack([rows[k] for k in keys]) if keys else np.zeros((0, encoder.dimension), np.float32)
    return matrix.astype(np.float32), len(missing), len(keys) - len(missing)
