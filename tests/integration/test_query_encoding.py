"""The query path of the encoder: the micro-batcher and the LRU cache, with the real model."""

import threading

import numpy as np
import pytest

from bot.retrieve.batcher import MicroBatcher
from bot.retrieve.query_cache import QueryCache
from kefu.text.colloquial import spoken_to_written as spoken
from kefu.text.normalize import fold_for_search

from conftest import make_settings

QUESTIONS = [
    "电话铃响几声内必须接听", "保质期满的产品能退吗", "投诉预警信息多久内上报", "你们家奶都有哪几个系列啊",
    "纯奶有几种包装的", "客户投诉怎么处理", "退货需要什么手续", "接电话第一句话怎么说",
    "喝了牛奶拉肚子怎么办", "质量投诉多久回复", "售后服务的典范是什么", "顾客要求换货",
    "电话里客户骂人怎么办", "回访什么时候做", "产品过期了能换吗", "客服人员的服务准则",
]


@pytest.fixture(scope="module", params=["onnx", "torch"])
def float_queries(request, encoder, tmp_path_factory):
    """A float32 query path, on each backend: the one whose batches share a forward pass."""
    from bot.retrieve.query_encoder import QueryEncoder

    return QueryEncoder(encoder, make_settings(tmp_path_factory.mktemp("fp32"), query_int8=False, query_backend=request.param))


@pytest.fixture(scope="module", params=["onnx", "torch"])
def int8_queries(request, queries, encoder, tmp_path_factory):
    """The int8 query path on each backend (ONNX is the bot's default, `queries`)."""
    from bot.retrieve.query_encoder import QueryEncoder

    if request.param == "onnx":
        return queries
    return QueryEncoder(encoder, make_settings(tmp_path_factory.mktemp("int8"), query_backend=request.param))


def encode_concurrently(encode, texts: list[str]) -> list[np.ndarray]:
    """Every text from its own thread, all released at once."""
    results: list = [None] * len(texts)
    start = threading.Barrier(len(texts))

    def call(i: int) -> None:
        start.wait()
        results[i] = encode(texts[i])

    threads = [threading.Thread(target=call, args=(i,)) for i in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.model
def test_concurrent_int8_queries_are_encoded_side_by_side_not_queued(queries, monkeypatch):
    """One text per int8 pass: queueing concurrent queries behind one leader would use one core of two."""
    running, most = 0, 0
    lock = threading.Lock()
    forward = queries.model.forward

    def counted(texts):
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return forward(texts)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(queries.model, "forward", counted)
    monkeypatch.setattr(queries.cache, "get", lambda text: None)  # every call encodes
    texts = [f"{q}{n}" for n in range(4) for q in QUESTIONS]
    vectors = encode_concurrently(queries.encode, texts)
    assert most > 1, "concurrent int8 queries were encoded one after another"
    np.testing.assert_allclose(vectors[0], queries.encode_batch([spoken(texts[0])])[0], atol=1e-6)


@pytest.mark.model
def test_batched_float_encodes_equal_one_at_a_time_and_keep_their_order(float_queries):
    texts = [fold_for_search(q) for q in QUESTIONS]
    alone = np.stack([float_queries.encode_batch([t])[0] for t in texts])
    batcher = MicroBatcher(float_queries.encode_batch, wait_ms=50, max_batch=32)
    together = np.stack(encode_concurrently(batcher.encode, texts))
    assert batcher.batches < len(texts), "concurrent queries were never batched"
    # Padding changes the summation order of the matrix products, nothing else: rounding-level
    # differences, and each caller gets its own text's row (the nearest row is its own).
    np.testing.assert_allclose(together, alone, atol=1e-5)
    assert (np.argmax(together @ alone.T, axis=1) == np.arange(len(texts))).all()


@pytest.mark.model
def test_int8_queries_are_bitwise_the_same_in_any_batch(int8_queries):
    """Dynamic quantisation scales activations per pass, so int8 queries run one per pass."""
    assert int8_queries.int8
    texts = [fold_for_search(q) for q in QUESTIONS]
    alone = np.stack([int8_queries.encode_batch([t])[0] for t in texts])
    assert np.array_equal(int8_queries.encode_batch(texts), alone)
    assert np.array_equal(np.stack(encode_concurrently(int8_queries.encode, texts)), alone)


@pytest.mark.model
def test_query_vectors_are_unit_float32_and_close_to_the_document_encoding(encoder, int8_queries, float_queries):
    texts = [fold_for_search(q) for q in QUESTIONS]
    documents = encoder.encode(texts)
    for path in (int8_queries, float_queries):
        vectors = path.encode_batch(texts)
        assert vectors.dtype == np.float32 and vectors.shape == (len(texts), encoder.dimension)
        np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(float_queries.encode_batch(texts), documents, atol=1e-5)
    assert (np.sum(int8_queries.encode_batch(texts) * documents, axis=1) > 0.97).all()


@pytest.mark.model
def test_a_repeated_query_comes_from_the_cache(queries):
    first = queries.encode("保质期满的产品还能退吗?")
    hits = queries.cache.hits
    again = queries.encode("保质期满的產品还能退吗?")  # folded to the same text
    assert queries.cache.hits == hits + 1 and again is first
    assert not again.flags.writeable


def test_an_encode_error_reaches_every_waiting_caller():
    def broken(texts):
        raise RuntimeError("model failed")

    batcher = MicroBatcher(broken, wait_ms=20, max_batch=8)
    errors = []

    def call():
        try:
            batcher.encode("问题")
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert len(errors) == 4
    assert not batcher._leading and not batcher._queue  # the lead was given back after the failure


def test_the_batcher_encodes_each_distinct_text_once_and_keeps_batches_within_max():
    seen: list[list[str]] = []

    def encode(texts):
        seen.append(list(texts))
        return np.array([[float(len(t)), 1.0] for t in texts], dtype=np.float32)

    batcher = MicroBatcher(encode, wait_ms=50, max_batch=2)
    texts = ["一", "二二", "一", "三三三", "四四四四", "一"] * 3
    results = encode_concurrently(batcher.encode, texts)
    assert [r[0] for r in results] == [float(len(t)) for t in texts]
    assert all(len(set(batch)) == len(batch) <= 2 for batch in seen)
    assert len(seen) < len(texts) and not batcher._leading and not batcher._queue


def test_a_lone_caller_encodes_in_its_own_thread():
    threads = []

    def encode(texts):
        threads.append(threading.get_ident())
        return np.ones((len(texts), 2), dtype=np.float32)

    batcher = MicroBatcher(encode)
    batcher.encode("一")
    assert threads == [threading.get_ident()]


def test_the_cache_keeps_the_most_recently_used():
    cache = QueryCache(2)
    for key in ("a", "b"):
        cache.put(key, np.ones(2))
    cache.get("a")
    cache.put("c", np.zeros(2))
    assert cache.get("b") is None and cache.get("a") is not None and cache.get("c") is not None
    assert len(cache) == 2


def test_a_zero_size_cache_stores_nothing():
    cache = QueryCache(0)
    cache.put("a", np.ones(2))
    assert cache.get("a") is None and len(cache) == 0
