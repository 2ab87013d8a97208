"""The write path: kb/ to a new index version (chunks, BM25, FAISS, manifest), then publish.

A build writes only inside `versions/.building-<id>/` until every file is complete and
flushed; then one rename and one pointer swap make it current. Killed at any point, it
leaves the current version untouched. Builds (and rollbacks) of one kb are serialised across
processes by a lock file in its index root (`build_lock`).
"""

import fcntl
import json
import shutil
import sys
import time
from collections.abc import Callable
from contextlib import contextmanager, nullcontext
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
from indexer.embed import Progress, embed_texts, no_progress
from indexer.embed_cache import EmbeddingCache, model_slug
from indexer.faq import with_entry_questions
from indexer.kb_snapshots import prune_copies, snapshot_documents
from indexer.load import KbDocument, list_kb_files, read_document
from kefu.errors import BuildRunning, DocumentUnreadable
from kefu.kbs import find_kb
from kefu.model import Encoder
from kefu.settings import Settings, cache_root, index_root
from kefu.text.colloquial import spoken_to_written
from kefu.text.correct import count_terms
from kefu.text.tokenize import Tokenizer, char_ngrams

# Called with the finished, unpublished version folder: raises to refuse it, or returns what it
# measured (recorded in the manifest's "gate").
Gate = Callable[[Path], dict | None]
SKIPPED_GATE = {"state": "skipped"}  # no gate: forced, or KEFU_QUALITY_GATE=false


@dataclass(frozen=True)
class BuildResult:
    kb: str
    version: str
    path: Path
    docs: int
    chunks: int
    questions: int
    embedded: int
    reused: int
    seconds: float

    def facts(self) -> dict:
        return {"version": self.version, "docs": self.docs, "chunks": self.chunks, "questions": self.questions,
                "embedded": self.embedded, "reused": self.reused, "seconds": round(self.seconds, 1)}

    def summary(self) -> str:
        return (
            f"{self.kb} index {self.version}: {self.docs} docs, {self.chunks} chunks, {self.questions} questions, "
            f"{self.embedded} texts embedded, {self.reused} reused, {self.seconds:.1f} s"
        )


@dataclass(frozen=True)
class Embedded:
    """A version's vectors: one per quotable unit, one per associated question."""

    units: np.ndarray
    questions: list[str]
    question_vectors: np.ndarray
    embedded: int
    reused: int


@contextmanager
def build_lock(root: Path, wait: bool = True):
    """One build or rollback of a kb's index at a time, whichever process runs it: an flock on
    the kb's index root, let go by the kernel if its holder dies. `wait=False` raises
    BuildRunning at once when another holds it (a server must answer, not queue)."""
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".build.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildRunning(f"{root.name}: 另一个进程正在重建或回滚这个知识库的索引 / another process is building or rolling back this index") from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _quiet_bar(items, stage: str):
    return tqdm(items, desc=stage, unit="doc", file=sys.stderr, disable=not sys.stderr.isatty())


def load_documents(kb_dir: Path, progress: Progress = no_progress) -> list[KbDocument]:
    """Every kb file parsed before anything is written: one bad file stops the build."""
    paths = list_kb_files(kb_dir)
    if not paths:
        raise DocumentUnreadable(f"{kb_dir}: 知识库里没有可索引的文件 / no files to index in the knowledge base")
    docs = []
    for path in _quiet_bar(paths, "load"):
        docs.append(read_document(path))
        progress("load", len(docs), len(paths))
    return docs


def chunk_documents(docs: list[KbDocument], settings: Settings, kb: str, progress: Progress = no_progress) -> list[Chunk]:
    chunks: list[Chunk] = []
    for done, doc in enumerate(_quiet_bar(docs, "chunk"), start=1):
        chunks += chunk_document(doc, settings.chunk_min_chars, settings.chunk_max_chars, kb)
        progress("chunk", done, len(docs))
    return with_entry_questions(chunks)


def unit_texts(chunks: list[Chunk]) -> list[str]:
    return [spoken_to_written(text) for c in chunks for text in c.unit_index_texts()]


def embed_chunks(chunks: list[Chunk], encoder: Encoder, settings: Settings, kb: str, progress: Progress) -> Embedded:
    """Units and associated questions embedded in one call, so the kb's cache keeps exactly this
    version's texts (one cache per kb: building one never evicts another's)."""
    cache = EmbeddingCache(cache_root(settings) / "embeddings" / model_slug(settings.embed_model) / kb, encoder.dimension)
    units = unit_texts(chunks)
    questions = [question for chunk in chunks for question in chunk.questions]
    vectors, embedded, reused = embed_texts(units + [spoken_to_written(q) for q in questions], encoder, cache, progress)
    return Embedded(vectors[: len(units)], questions, vectors[len(units) :], embedded, reused)


def build_bm25(texts: list[str], tokenizer: Tokenizer, settings: Settings) -> bm25s.BM25:
    corpus = [tokenizer.tokenize(text) or [""] for text in texts]
    retriever = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
    retriever.index(corpus, show_progress=False)
    return retriever


def build_sparse_index(chunks: list[Chunk], tokenizer: Tokenizer, settings: Settings) -> bm25s.BM25:
    return build_bm25([c.index_text() for c in chunks], tokenizer, settings)


def build_char_index(texts: list[str], settings: Settings) -> bm25s.BM25:
    """BM25 over characters: a typo spoils a word for jieba, only two bigrams here. Passages and
    their associated questions get one each, so that leaving the questions out (a new company's
    first day) leaves out every trace of them."""
    corpus = [char_ngrams(text) or [""] for text in texts]
    retriever = bm25s.BM25(k1=settings.bm25_k1, b=settings.bm25_b)
    retriever.index(corpus, show_progress=False)
    return retriever


def build_question_index(questions: list[str], vectors: np.ndarray, tokenizer: Tokenizer, settings: Settings) -> tuple[faiss.Index, bm25s.BM25]:
    """Dense search and BM25 over the associated questions alone. The dense index is of the kind
    their number calls for, as the sentences' is: flat for a few thousand, but a 100k-passage kb
    has some 520k questions (1 GB flat), and a flat scan of 104k already took 22 ms a query here."""
    dense, _ = build_dense_index(vectors, settings)
    return dense, build_bm25(questions, tokenizer, settings)


def write_chunks(path: Path, chunks: list[Chunk]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for chunk in chunks:
            handle.write(json.dumps(chunk.to_dict(), ensure_ascii=False) + "\n")


WRITE_STEPS = 5  # chunks and terms, dense index, word and character BM25, question indexes, manifest


def write_terms(path: Path, chunks: list[Chunk], tokenizer: Tokenizer) -> None:
    """The words of the kb's passages and associated questions, counted, for the typo corrector."""
    terms = count_terms([text for c in chunks for text in (c.index_text(), *c.questions)], tokenizer)
    path.write_text(json.dumps(terms, ensure_ascii=False, sort_keys=True), encoding="utf-8")


def write_version_files(building: Path, chunks: list[Chunk], embedded: Embedded, tokenizer: Tokenizer, settings: Settings, progress: Progress = no_progress) -> dict:
    """chunks, dense and BM25 indexes (and the associated questions' index) into the build
    folder; returns what the manifest records of the dense index."""
    write_chunks(building / versions.CHUNKS_FILE, chunks)
    write_terms(building / versions.TERMS_FILE, chunks, tokenizer)
    progress("write", 1, WRITE_STEPS)
    dense, dense_info = build_dense_index(embedded.units, settings)
    faiss.write_index(dense, str(building / versions.DENSE_FILE))
    progress("write", 2, WRITE_STEPS)
    build_sparse_index(chunks, tokenizer, settings).save(str(building / versions.BM25_DIR), show_progress=False)
    build_char_index([c.index_text() for c in chunks], settings).save(str(building / versions.CHARS_BM25_DIR), show_progress=False)
    progress("write", 3, WRITE_STEPS)
    if embedded.questions:
        question_dense, question_sparse = build_question_index(embedded.questions, embedded.question_vectors, tokenizer, settings)
        faiss.write_index(question_dense, str(building / versions.QUESTIONS_DENSE_FILE))
        question_sparse.save(str(building / versions.QUESTIONS_BM25_DIR), show_progress=False)
        build_char_index(embedded.questions, settings).save(str(building / versions.QUESTIONS_CHARS_DIR), show_progress=False)
    progress("write", 4, WRITE_STEPS)
    return dense_info


def manifest_for(kb: str, version: str, docs: list[KbDocument], chunks: list[Chunk], embedded: Embedded, dense_info: dict, seconds: float, dimension: int, settings: Settings, building: Path) -> dict:
    return {
        "format": versions.FORMAT_VERSION,
        "kb": kb,
        "version": version,
        "built_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "build_seconds": round(seconds, 2),
        **versions.expected_manifest_fields(settings, dimension),
        "dense_index": dense_info,
        "bm25": {"k1": settings.bm25_k1, "b": settings.bm25_b},
        "kb_files": {d.path.name: d.sha256 for d in docs},
        "documents": {d.doc_id: {"title": d.title, "date": d.meta.get("date")} for d in docs},
        "dense_unit": "sentence",
        "counts": {
            "docs": len(docs),
            "chunks": len(chunks),
            "sentences": len(embedded.units),
            "questions": len(embedded.questions),
            "embedded": embedded.embedded,
            "reused": embedded.reused,
        },
        "files": versions.checksums(building),
    }


def gate_and_publish(building: Path, root: Path, version: str, gate: Gate | None, settings: Settings, progress: Progress) -> Path:
    """Run the quality gate on the finished folder (deleting it when refused), then publish."""
    outcome = SKIPPED_GATE
    if gate is not None:
        progress("check", 0, 1)
        try:
            outcome = gate(building) or {"state": "passed"}
        except Exception:
            shutil.rmtree(building, ignore_errors=True)
            raise
        progress("check", 1, 1)
    manifest = versions.read_manifest(building)
    versions.write_json_atomic(building / versions.MANIFEST, {**manifest, "gate": outcome})  # the manifest is outside the checksums
    final = versions.publish(building, root, version)
    versions.prune_versions(root, settings.keep_versions)
    prune_copies(root)
    progress("publish", 1, 1)
    return final


def build_index(
    settings: Settings,
    kb: str,
    encoder: Encoder | None = None,
    gate: Gate | None = None,
    progress: Progress = no_progress,
    tokenizer: Tokenizer | None = None,
    take_lock: bool = True,
) -> BuildResult:
    """Build knowledge base `kb` into a new version and make it current; no other kb changes.
    Pass a loaded encoder and tokenizer to reuse them (loading jieba's dictionary costs 1-6 s
    on a busy 2-core machine).

    `gate`, when given, is called with the finished (unpublished) version folder and may raise
    to refuse it; the folder is then deleted and the current version stays. What it returns
    (what it measured) is the manifest's "gate". `progress` is told each stage's units done out
    of its total (for the editor page's progress bar). A caller already holding the kb's
    `build_lock` passes `take_lock=False`."""
    started = time.perf_counter()
    folder = find_kb(settings, kb).folder
    root = index_root(settings, kb)
    with build_lock(root) if take_lock else nullcontext():
        docs = load_documents(folder, progress)
        snapshot_documents(root, docs)  # for rollback: the version's files come back with it
        chunks = chunk_documents(docs, settings, kb, progress)
        encoder = encoder or Encoder(settings)
        embedded = embed_chunks(chunks, encoder, settings, kb, progress)
        version, final, seconds = write_version(settings, kb, docs, chunks, embedded, encoder.dimension, started, gate, progress, tokenizer)
    return BuildResult(kb, version, final, len(docs), len(chunks), len(embedded.questions), embedded.embedded, embedded.reused, seconds)


def write_version(settings: Settings, kb: str, docs: list[KbDocument], chunks: list[Chunk], embedded: Embedded, dimension: int,
                  started: float, gate: Gate | None = None, progress: Progress = no_progress, tokenizer: Tokenizer | None = None) -> tuple[str, Path, float]:
    """Chunks and their vectors written as a new version of kb, gated and published: (version,
    its folder, seconds since `started`). The vectors need not come from `embed_chunks`: the
    bench writes synthetic kbs through here, so they are in the very format the server loads.
    The caller holds the kb's build lock."""
    progress("write", 0, WRITE_STEPS)
    root = index_root(settings, kb)
    version = versions.new_version_id()
    versions.remove_stale_builds(root)
    building = versions.versions_dir(root) / (versions.BUILDING_PREFIX + version)
    building.mkdir(parents=True)
    dense_info = write_version_files(building, chunks, embedded, tokenizer or Tokenizer(), settings, progress)
    seconds = time.perf_counter() - started
    manifest = manifest_for(kb, version, docs, chunks, embedded, dense_info, seconds, dimension, settings, building)
    versions.write_json_atomic(building / versions.MANIFEST, manifest)
    progress("write", WRITE_STEPS, WRITE_STEPS)
    return version, gate_and_publish(building, root, version, gate, settings, progress), seconds
