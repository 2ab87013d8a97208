"""Queries to vectors, the read path's way: an LRU cache, then a micro-batcher that encodes
concurrent queries together, then the query model of `KEFU_QUERY_BACKEND`: ONNX Runtime over an
export of the model (bot.retrieve.onnx_model), or torch on the shared Encoder's model under its
lock; int8 dynamic quantisation on either when `KEFU_QUERY_INT8`.
"""

import copy
import logging
import warnings
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from bot.retrieve.batcher import MicroBatcher
from bot.retrieve.onnx_export import ensure_export, read_card
from bot.retrieve.onnx_model import OnnxQueryModel
from bot.retrieve.query_cache import QueryCache
from bot.retrieve.query_tokenizer import open_query_tokenizer
from kefu.model import Encoder
from kefu.settings import QueryBackend, Settings
from kefu.text.colloquial import spoken_to_written

log = logging.getLogger(__name__)


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


class TorchQueryModel:
    """The Encoder's model, or its int8 copy, run under the Encoder's lock."""

    def __init__(self, encoder: Encoder, int8: bool):
        quantized = quantized_copy(encoder.model) if int8 else None
        self.int8 = quantized is not None
        self._model = quantized if quantized is not None else encoder.model
        self._lock = encoder.lock

    def forward(self, texts: list[str]) -> np.ndarray:
        import torch

        with self._lock, torch.inference_mode():
            pooled = self._model(self._model.preprocess(texts))["sentence_embedding"]
            return torch.nn.functional.normalize(pooled, dim=-1).numpy()


def open_query_model(encoder: Encoder, settings: Settings) -> TorchQueryModel | OnnxQueryModel:
    if settings.query_backend is QueryBackend.torch:
        return TorchQueryModel(encoder, settings.query_int8)
    model_file = ensure_export(encoder, settings)
    card = read_card(model_file.parent)
    # The length the export's card recorded from the loaded model: the tokenizer truncates where sentence-transformers does.
    tokenizer = open_query_tokenizer(encoder.path, card["max_seq_length"])
    # What the export holds, not what was asked for: an int8 export that strayed on this CPU is float32.
    return OnnxQueryModel(model_file, tokenizer, settings.onnx_threads, card.get("quantisation") is not None)


class QueryEncoder:
    def __init__(self, encoder: Encoder, settings: Settings):
        self.encoder = encoder
        self.dimension = encoder.dimension
        self.backend = settings.query_backend
        self.model = open_query_model(encoder, settings)
        self.int8 = self.model.int8
        self.cache = QueryCache(settings.query_cache_size)
        # An int8 model takes one text per pass (encode_batch), so a batch would only queue
        # concurrent queries behind its leader; on their own threads ONNX Runtime runs them side by side.
        batching = settings.batch_max > 1 and not self.int8
        self._batcher = MicroBatcher(self.encode_batch, settings.batch_wait_ms, settings.batch_max) if batching else None
        self._beside = ThreadPoolExecutor(settings.dense_threads, "kefu-dense") if settings.dense_threads else None

    def beside(self, work, *args) -> Future:
        """`work(*args)` on the encoder's threads, for the caller to do something else meanwhile
        (search BM25); done in the caller's thread, before returning, when there are none."""
        if self._beside is not None:
            return self._beside.submit(work, *args)
        done: Future = Future()
        done.set_result(work(*args))
        return done

    def encode_batch(self, texts: list[str]) -> np.ndarray:
        """Short texts through the query model, uncached: float32 in one padded batch; int8 one
        text per pass, because dynamic quantisation scales activations over the whole batch and
        a query's vector would then depend on the queries it happened to share a batch with."""
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        groups = [[t] for t in texts] if self.int8 else [texts]
        vectors = np.concatenate([self.model.forward(group) for group in groups])
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def encode(self, query: str) -> np.ndarray:
        """One query's vector (read-only), in the written form the index's texts were embedded
        in: from the cache, or micro-batched with concurrent ones."""
        text = spoken_to_written(query)
        vector = self.cache.get(text)
        if vector is None:
            fresh = self._batcher.encode(text) if self._batcher else self.encode_batch([text])[0]
            vector = self.cache.put(text, fresh)
        return vector
