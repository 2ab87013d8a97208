"""The dense index type chosen by size, and an IVF index searched and quoted like a flat one."""

import faiss
import numpy as np
import pytest

from indexer.dense_index import build_dense_index, choose_kind, ivf_lists, prepare_for_search
from kefu.settings import DenseIndexKind

from conftest import make_settings


def test_auto_chooses_flat_then_ivf_sq8(tmp_path):
    settings = make_settings(tmp_path, flat_index_max=1000)
    assert [choose_kind(n, settings) for n in (1000, 1001, 10_000_000)] == [
        DenseIndexKind.flat, DenseIndexKind.ivf_sq8, DenseIndexKind.ivf_sq8,
    ]
    forced = make_settings(tmp_path, dense_index="hnsw")
    assert choose_kind(10, forced) == DenseIndexKind.hnsw


def test_ivf_lists_are_about_the_square_root(tmp_path):
    settings = make_settings(tmp_path)
    assert ivf_lists(1_000_000, settings) == 1024 and ivf_lists(100, settings) == 16
    assert ivf_lists(1_000_000, make_settings(tmp_path, ivf_nlist=300)) == 300


@pytest.mark.model
def test_ivf_sq8_over_the_real_sentence_vectors_finds_what_exact_search_finds(searcher, tmp_path):
    gas = next(index for index in searcher.indexes if index.kb == "gas")  # the largest kb
    vectors = gas.dense.reconstruct_n(0, gas.dense.ntotal)
    settings = make_settings(tmp_path, dense_index="ivf_sq8", ivf_nlist=16, ivf_nprobe=16)
    index, info = build_dense_index(vectors, settings)
    index = prepare_for_search(index, settings)
    assert info == {"type": "ivf_sq8", "nlist": 16, "nprobe": 16} and index.ntotal == len(vectors)
    queries = vectors[::25]
    _, exact = gas.dense.search(queries, 10)
    _, found = index.search(queries, 10)
    recall = np.mean([len(set(f) & set(e)) / 10 for f, e in zip(found, exact)])
    assert recall >= 0.9, recall  # every list searched: only the 8-bit rounding differs
    np.testing.assert_allclose(index.reconstruct_n(0, 3), vectors[:3], atol=0.02)  # answers quote by row


def test_a_forced_flat_index_is_exact(tmp_path):
    rng = np.random.default_rng(0)
    vectors = rng.standard_normal((200, 16)).astype(np.float32)
    faiss.normalize_L2(vectors)
    index, info = build_dense_index(vectors, make_settings(tmp_path, dense_index="flat"))
    assert info == {"type": "flat"} and index.search(vectors[:1], 1)[1][0][0] == 0
