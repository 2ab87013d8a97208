"""The write path: kb/ to a new index version (chunks, BM25, FAISS, manifest), then publish.

A build writes only inside `versions/.building-<id>/` until every file is complete and
flushed; then one rename and one pointer swap make it current. Killed at any point, it
leaves the current version untouched. Builds are serialised by a lock file.
"""

import fcntl
import json
import shutil
import sys
from collections.abc import Callable
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import bm25s
import faiss
import numpy as np
from tqdm import tqdm

from indexer import versions
from indexer.chunk import Chunk, chunk_document
from indexer.dense_index import build_dense_index
from indexer.embed import Encoder
from indexer.errors import DocumentUnreadable
from indexer.embed_cache import EmbeddingCache, model_slug, text_key
from indexer.faq import question_rows
from indexer.load import KbDocument, list_kb_files, read_document
from indexer.settings import Settings, cache_root, index_root
from indexer.textnorm import Tokenizer, fold_for_search, lexicon_hash

CHUNKS_FILE = "chunks.jsonl"
DENSE_FILE = "dense.faiss"
BM25_DIR = "bm25"
QUESTIONS_DENSE_FILE = "questions.faiss"  # FAQ mode, only when kb has FAQ entries
QUESTIONS_BM25_DIR = "questions_bm25"
EMBED_SLICE = 256  # texts per encode call when reporting progress
# progress(stage, done, total): stages load, chunk, embed, write, check, publish, in order.
Progress = Callable[[str, int, int], None]


def no_progress(stage: str, done: int, total: int) -> None:
    pass


@dataclass(frozen=True)
class BuildResult:
    version: str
    path: Path
    docs: int
    chunks: int
    embedded: int
    reused: int
    seconds: float

    def summary(self) -> str:
        return (
            f"index {self.version}: {self.docs} docs, {self.chunks} chunks, "
            f"{self.embedded} sentences embedded, {self.reused} reused, {self.seconds:.1f} s"
        )


def expected_manifest_fields(settings: Settings, dimension: int | None = None) -> dict:
    """Manifest fields a reader must agree with before it may query a version."""
    fields = {"model": settings.embed_model, "normalized": True, "lexicon_hash": lexicon_hash()}
    if dimension is not None:
        fields["dimension"] = dimension
    return fields


@contextmanager
def build_lock(root: Path):
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".build.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def load_documents(kb_dir: Path, progress: Progress = no_progress) -> list[KbDocument]:
    """Every kb file parsed before anything is written: one bad file stops the build."""
    paths = list_kb_files(kb_dir)
    if not paths:
        raise DocumentUnreadable(f"{kb_dir}: 知识库里没有可索引的文件 / no files to index in the knowledge base")
    docs = []
    for path in tqdm(paths, desc="load", unit="doc", file=sys.stderr):
        docs.append(read_document(path))
        progress("load", len(docs), len(paths))
    return docs


def chunk_documents(docs: list[KbDocument], settings: Settings, progress: Progress = no_progress) -> list[Chunk]:
    chunks: list[Chunk] = []
    for done, doc in enumerate(tqdm(docs, desc="chunk", unit="doc", file=sys.stderr), start=1):
        chunks += chunk_document(doc, settings.chunk_min_chars, settings.chunk_max_chars)
        progress("chunk", done, len(docs))
    return chunks


def encode_missing(texts: list[str], encoder: Encoder, progress: Progress, already: int, total: int) -> np.ndarray:
    """The texts' vectors, encoded in slices so progress counts units done (cached ones included)."""
    parts = []
    for start in range(0, len(texts), EMBED_SLICE):
        parts.append(encoder.encode(texts[start : start + EMBED_SLICE], show_progress=True))
        progress("embed", already + start + len(parts[-1]), total)
    return np.concatenate(parts) if parts else np.zeros((0, encoder.dimension), np.float32)


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


def unit_texts(chunks: list[Chunk]) -> list[str]:
    return [fold_for_search(text) for c in chunks for text in c.unit_index_texts()]


def build_bm25(texts: list[str], tokenizer: Tokenizer, settings: Settings) -> bm25s.BM25:
    corpus = [tokenizer.tokenize(text) or [""] for text in texts]
    retriever = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
    retriever.index(corpus, show_progress=False)
    return retriever


def build_sparse_index(chunks: list[Chunk], tokenizer: Tokenizer, settings: Settings) -> bm25s.BM25:
    return build_bm25([c.index_text() for c in chunks], tokenizer, settings)


def build_question_index(questions: list[str], vectors: np.ndarray, tokenizer: Tokenizer, settings: Settings) -> tuple[faiss.Index, bm25s.BM25]:
    """FAQ mode: exact dense search and BM25 over the entries' questions alone (editors' FAQ
    lists are small, so a flat index is always fast enough)."""
    dense = faiss.IndexFlatIP(vectors.shape[1])
    dense.add(vectors)
    return dense, build_bm25(questions, tokenizer, settings)


def write_chunks(path: Path, chunks: list[Chunk]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")


def build_index(
    settings: Settings,
    encoder: Encoder | None = None,
    gate: Callable[[Path], None] | None = None,
    progress: Progress = no_progress,
    tokenizer: Tokenizer | None = None,
) -> BuildResult:
    """Build kb/ into a new version and make it current. Pass a loaded encoder and tokenizer
    to reuse them (loading jieba's dictionary costs 1-6 s on a busy 2-core machine).

    `gate`, when given, is called with the finished (unpublished) version folder and may raise
    to refuse it; the folder is then deleted and the current version stays. `progress` is told
    each stage's units done out of its total (for the editor page's progress bar)."""
    started = time.perf_counter()
    root = index_root(settings)
    with build_lock(root):
        docs = load_documents(settings.kb_dir, progress)
        chunks = chunk_documents(docs, settings, progress)
        encoder = encoder or Encoder(settings)
        cache = EmbeddingCache(cache_root(settings) / "embeddings" / model_slug(settings.embed_model), encoder.dimension)
        units = unit_texts(chunks)
        questions = [question for _, question in question_rows(chunks)]
        vectors, embedded, reused = embed_texts(units + [fold_for_search(q) for q in questions], encoder, cache, progress)
        vectors, question_vectors = vectors[: len(units)], vectors[len(units) :]
        progress("write", 0, 1)
        version = versions.new_version_id()
        versions.remove_stale_builds(root)
        building = versions.versions_dir(root) / (versions.BUILDING_PREFIX + version)
        building.mkdir(parents=True)
        write_chunks(building / CHUNKS_FILE, chunks)
        dense, dense_info = build_dense_index(vectors, settings)
        faiss.write_index(dense, str(building / DENSE_FILE))
        tokenizer = tokenizer or Tokenizer()
        build_sparse_index(chunks, tokenizer, settings).save(str(building / BM25_DIR), show_progress=False)
        if questions:
            question_dense, question_sparse = build_question_index(questions, question_vectors, tokenizer, settings)
            faiss.write_index(question_dense, str(building / QUESTIONS_DENSE_FILE))
            question_sparse.save(str(building / QUESTIONS_BM25_DIR), show_progress=False)
        seconds = time.perf_counter() - started
        manifest = {
            "format": versions.FORMAT_VERSION,
            "version": version,
            "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "build_seconds": round(seconds, 2),
            **expected_manifest_fields(settings, encoder.dimension),
            "dense_index": dense_info,
            "bm25": {"k1": settings.bm25_k1, "b": settings.bm25_b},
            "kb_files": {d.path.name: d.sha256 for d in docs},
            "documents": {d.doc_id: {"title": d.title, "date": d.meta.get("date")} for d in docs},
            "dense_unit": "sentence",
            "counts": {
                "docs": len(docs),
                "chunks": len(chunks),
                "sentences": len(vectors),
                "faq_questions": len(questions),
                "embedded": embedded,
                "reused": reused,
            },
            "files": versions.checksums(building),
        }
        versions.write_json_atomic(building / versions.MANIFEST, manifest)
        progress("write", 1, 1)
        if gate is not None:
            progress("check", 0, 1)
            try:
                gate(building)
            except Exception:
                shutil.rmtree(building, ignore_errors=True)
                raise
            progress("check", 1, 1)
        final = versions.publish(building, root, version)
        versions.prune_versions(root, settings.keep_versions)
        progress("publish", 1, 1)
    return BuildResult(version, final, len(docs), len(chunks), embedded, reused, seconds)
