"""Bench section: the query encoders side by side on one thread, on real questions: torch float32,
torch int8 dynamic, ONNX Runtime float32, ONNX Runtime int8. Latency of one query per call
(cache off), the cosine of each variant's vectors to torch float32's, and what building each
query model took (for ONNX, the export into the bench's own data dir the first time)."""

import time
from contextlib import contextmanager

import numpy as np

from bench.loadgen import latency_summary
from bot.retrieve.query_encoder import QueryEncoder
from kefu.settings import QueryBackend, Settings
from kefu.text.normalize import fold_for_search

VARIANTS = (
    ("torch float32", QueryBackend.torch, False),
    ("torch int8 dynamic", QueryBackend.torch, True),
    ("ONNX float32", QueryBackend.onnx, False),
    ("ONNX int8 dynamic", QueryBackend.onnx, True),
)


@contextmanager
def torch_threads(threads: int):
    import torch

    saved = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


def open_variant(encoder, settings: Settings, backend: QueryBackend, int8: bool, threads: int = 1) -> tuple[QueryEncoder, float]:
    """The query path of one variant (cache off) and the seconds its construction took."""
    variant = settings.model_copy(update={"query_backend": backend, "query_int8": int8, "onnx_threads": threads, "query_cache_size": 0})
    started = time.perf_counter()
    queries = QueryEncoder(encoder, variant)
    return queries, time.perf_counter() - started


def time_queries(queries: QueryEncoder, texts: list[str], threads: int = 1) -> tuple[list[float], np.ndarray]:
    """Milliseconds of each one-query encode (after a warm-up), and the vectors."""
    with torch_threads(threads):
        for text in texts[:10]:
            queries.encode_batch([text])
        times, rows = [], []
        for text in texts:
            started = time.perf_counter()
            rows.append(queries.encode_batch([text])[0])
            times.append((time.perf_counter() - started) * 1000)
    return times, np.stack(rows)


def bench_encoders(encoder, settings: Settings, questions: list[str]) -> list[dict]:
    texts = [fold_for_search(q) for q in questions]
    rows, reference = [], None
    for name, backend, int8 in VARIANTS:
        queries, built_s = open_variant(encoder, settings, backend, int8)
        times, vectors = time_queries(queries, texts)
        reference = vectors if reference is None else reference  # torch float32 comes first
        cosines = np.sum(vectors * reference, axis=1)
        rows.append({"name": name, "backend": backend.value, "int8": queries.int8, **latency_summary(times),
                     "cosine_mean": round(float(cosines.mean()), 5), "cosine_min": round(float(cosines.min()), 5),
                     "build_s": round(built_s, 2)})
    return rows


def thread_sweep(encoder, settings: Settings, questions: list[str]) -> dict[str, dict]:
    """The configured query path's latency on 1 thread and on 2 (torch's or ONNX Runtime's)."""
    texts = [fold_for_search(q) for q in questions]
    result: dict = {"backend": settings.query_backend.value, "int8": settings.query_int8}
    for threads in (1, 2):
        queries, _ = open_variant(encoder, settings, settings.query_backend, settings.query_int8, threads)
        times, _ = time_queries(queries, texts, threads)
        result[str(threads)] = latency_summary(times)
    return result
