"""Versions, manifest checks, rollback, incremental re-embedding and unparseable files, on real builds."""

import json
import logging

import faiss
import numpy as np
import pytest

from bot.retrieve.index import load_current, load_version
from indexer import versions
from indexer.build import build_index
from indexer.chunk import chunk_document
from indexer.load import read_document
from indexer.versions import CHUNKS_FILE, DENSE_FILE
from kefu.errors import DocumentUnreadable, EmbeddingFailed, IndexCorrupt
from kefu.kbs import UnknownKb, create_kb
from kefu.settings import cache_root, index_root

from conftest import SMALL, SMALL_DOCS, make_settings, make_small_kb


@pytest.fixture
def small_kb(tmp_path):
    return make_small_kb(tmp_path / "kb")


@pytest.fixture
def settings(tmp_path, small_kb):
    return make_settings(tmp_path, kb_dir=small_kb.parent, keep_versions=3)


def test_build_writes_a_verified_version_and_makes_it_current(settings, encoder):
    result = build_index(settings, SMALL, encoder=encoder)
    root = index_root(settings, SMALL)
    assert versions.current_version(root) == result.version
    manifest = json.loads((result.path / versions.MANIFEST).read_text(encoding="utf-8"))
    assert manifest["model"] == "m3e-small" and manifest["dimension"] == 512 and manifest["normalized"] is True
    assert set(manifest["kb_files"]) == set(SMALL_DOCS)
    assert manifest["counts"]["chunks"] == result.chunks == len(load_current(settings, SMALL).chunks)
    assert {"chunks.jsonl", "dense.faiss"} <= set(manifest["files"])
    assert not list(versions.versions_dir(root).glob(versions.BUILDING_PREFIX + "*"))


def test_editing_one_manual_re_embeds_only_its_changed_chunks(settings, encoder, small_kb):
    build_index(settings, SMALL, encoder=encoder)  # the session's shared cache may hold these already
    path = small_kb / SMALL_DOCS[1]
    before = {t for c in chunk_document(read_document(path), 80, 400) for t in c.unit_index_texts()}
    path.write_text(path.read_text(encoding="utf-8") + "\n编辑新增的一句话。\n", encoding="utf-8")
    after = {t for c in chunk_document(read_document(path), 80, 400) for t in c.unit_index_texts()}
    second = build_index(settings, SMALL, encoder=encoder)
    assert second.embedded == len(after - before) >= 1
    counts = json.loads((second.path / versions.MANIFEST).read_text(encoding="utf-8"))["counts"]
    assert second.reused == counts["sentences"] + counts["questions"] - second.embedded > 0


def test_rollback_switches_to_the_previous_version_and_prune_keeps_the_newest(settings, encoder):
    built = [build_index(settings, SMALL, encoder=encoder).version for _ in range(4)]
    root = index_root(settings, SMALL)
    assert versions.list_versions(root) == built[1:]
    previous = versions.previous_version(root)
    versions.set_current(root, previous)
    assert load_current(settings, SMALL).version == built[2]


def test_a_corrupted_file_is_refused_and_the_previous_version_served(settings, encoder, caplog):
    older = build_index(settings, SMALL, encoder=encoder).version
    newer = build_index(settings, SMALL, encoder=encoder)
    with (newer.path / CHUNKS_FILE).open("a", encoding="utf-8") as handle:
        handle.write("\n")
    with pytest.raises(IndexCorrupt, match="checksum mismatch for chunks.jsonl"):
        load_version(newer.path, settings)
    with caplog.at_level(logging.ERROR):
        assert load_current(settings, SMALL).version == older
    assert f"refusing index version {newer.version}" in caplog.text
    assert build_index(settings, SMALL, encoder=encoder).version > newer.version


def test_an_index_built_with_another_model_is_refused(settings, encoder, tmp_path):
    result = build_index(settings, SMALL, encoder=encoder)
    other = make_settings(tmp_path, kb_dir=settings.kb_dir, embed_model=str(tmp_path / "bge-small-zh"))
    with pytest.raises(IndexCorrupt, match="model mismatch"):
        load_version(result.path, other)


def test_an_unparseable_file_stops_the_build_and_keeps_the_current_index(settings, encoder, small_kb):
    current = build_index(settings, SMALL, encoder=encoder).version
    (small_kb / "broken.md").write_bytes(b"# \xff\xfe not utf-8")
    with pytest.raises(DocumentUnreadable, match="broken.md"):
        build_index(settings, SMALL, encoder=encoder)
    assert versions.current_version(index_root(settings, SMALL)) == current
    assert load_current(settings, SMALL).version == current


def test_an_empty_knowledge_base_is_refused(tmp_path, encoder):
    settings = make_settings(tmp_path, kb_dir=tmp_path / "kb")
    create_kb(settings, "empty", "空知识库", "测试公司", "您好")
    with pytest.raises(DocumentUnreadable, match="no files to index"):
        build_index(settings, "empty", encoder=encoder)
    with pytest.raises(UnknownKb):
        build_index(settings, "nosuch", encoder=encoder)


def dense_vectors(version_path, settings) -> np.ndarray:
    index = load_version(version_path, settings).dense
    return index.reconstruct_n(0, index.ntotal)


def test_a_nan_row_in_the_embedding_cache_is_dropped_and_re_embedded(tmp_path, settings, encoder):
    """A cache row holding NaN went into a new version (246 NaN vectors served)."""
    settings = settings.model_copy(update={"cache_dir": tmp_path / "private-cache"})  # spoilt here, not in the shared one
    build_index(settings, SMALL, encoder=encoder)
    cache = cache_root(settings) / "embeddings" / "m3e-small" / SMALL
    vectors = np.load(cache / "vectors.npy")
    vectors[5] = np.nan
    np.save(cache / "vectors.npy", vectors, allow_pickle=False)
    rebuilt = build_index(settings, SMALL, encoder=encoder)
    assert rebuilt.embedded == 1  # that row, and only that one, embedded again
    assert np.isfinite(dense_vectors(rebuilt.path, settings)).all()
    assert np.isfinite(np.load(cache / "vectors.npy")).all()


class NanModel:
    """The real model, with one vector of each batch spoilt: what a broken model or a bad float16
    conversion gives."""

    def __init__(self, real):
        self.real, self.dimension, self.batch_size = real, real.dimension, real.batch_size

    def encode(self, texts, **options):
        vectors = self.real.encode(texts, **options).copy()
        vectors[len(vectors) // 2] = np.nan
        return vectors


def test_a_model_returning_nan_fails_the_build_with_a_clear_error(tmp_path, settings, encoder):
    settings = settings.model_copy(update={"cache_dir": tmp_path / "private-cache"})  # so the rebuild below must embed
    with pytest.raises(EmbeddingFailed, match="not finite"):
        build_index(settings, SMALL, encoder=NanModel(encoder))
    assert versions.list_versions(index_root(settings, SMALL)) == []
    assert build_index(settings, SMALL, encoder=encoder).embedded > 0  # nothing of the spoilt run was cached


def test_a_version_whose_dense_vectors_are_not_finite_is_refused_at_load(settings, encoder, caplog):
    older = build_index(settings, SMALL, encoder=encoder).version
    newer = build_index(settings, SMALL, encoder=encoder)
    vectors = dense_vectors(newer.path, settings)
    vectors[3] = np.nan
    spoilt = faiss.IndexFlatIP(vectors.shape[1])
    spoilt.add(vectors)
    faiss.write_index(spoilt, str(newer.path / DENSE_FILE))
    manifest = json.loads((newer.path / versions.MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][DENSE_FILE] = versions.file_checksum(newer.path / DENSE_FILE)  # its checksum holds: only the values are wrong
    (newer.path / versions.MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")
    with pytest.raises(IndexCorrupt, match="not finite"):
        load_version(newer.path, settings)
    with caplog.at_level(logging.ERROR):
        assert load_current(settings, SMALL).version == older
    assert f"refusing index version {newer.version}" in caplog.text
