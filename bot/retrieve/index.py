"""Load one index version for reading, after checking it against its manifest.

A LoadedIndex is immutable once built: readers share it across threads, and a re-index
swaps in a new one by a single reference assignment.
"""

import functools
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

import bm25s
import faiss
import numpy as np

from bot.retrieve.dense import load_faiss
from bot.retrieve.sparse import load_bm25
from indexer import versions
from indexer.chunk import Chunk
from indexer.versions import (
    BM25_DIR,
    CHARS_BM25_DIR,
    CHUNKS_FILE,
    DENSE_FILE,
    QUESTIONS_BM25_DIR,
    QUESTIONS_CHARS_DIR,
    QUESTIONS_DENSE_FILE,
    TERMS_FILE,
    expected_manifest_fields,
)
from kefu.errors import IndexCorrupt
from kefu.settings import Settings, index_root

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class QuestionIndex:
    """The passages' associated questions, searched on their own: a passage is found by the
    best of the ways people ask for it."""

    dense: faiss.Index  # one vector per question
    sparse: bm25s.BM25  # one row per question
    rows: np.ndarray  # question -> the chunk row of its passage
    chars: bm25s.BM25  # BM25 over characters, one row per question


@dataclass(frozen=True)
class LoadedIndex:
    version: str
    manifest: dict
    chunks: list[Chunk]
    dense: faiss.Index  # one vector per quotable unit (sentence or table row)
    sparse: bm25s.BM25  # one row per chunk
    unit_owner: np.ndarray  # dense row -> chunk row
    unit_start: np.ndarray  # chunk row -> its first dense row (one extra entry at the end)
    questions: QuestionIndex | None = None  # when the kb's passages carry associated questions
    terms: dict[str, int] = field(default_factory=dict)  # the kb's words, counted: the corrector's vocabulary
    chars: bm25s.BM25 | None = None  # BM25 over characters (unigrams and bigrams)

    @property
    def kb(self) -> str:
        return self.manifest.get("kb", "")

    def row_of(self, chunk_id: str) -> int | None:
        """The row of a chunk id in this version, or None."""
        return self._rows.get(chunk_id)

    @functools.cached_property
    def _rows(self) -> dict[str, int]:  # cached_property writes __dict__ directly: fine on a frozen dataclass
        return {chunk.id: row for row, chunk in enumerate(self.chunks)}

    @property
    def dimension(self) -> int:
        return int(self.manifest["dimension"])

    def unit_vectors(self, row: int) -> np.ndarray:
        start, end = int(self.unit_start[row]), int(self.unit_start[row + 1])
        return self.dense.reconstruct_n(start, end - start)


def unit_layout(chunks: list[Chunk]) -> tuple[np.ndarray, np.ndarray]:
    """(owner of each dense row, first dense row of each chunk), in build order."""
    counts = np.array([len(c.quotable_units()) for c in chunks], dtype=np.int64)
    start = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    owner = np.repeat(np.arange(len(chunks), dtype=np.int32), counts)
    return owner, start


def read_chunks(path: Path) -> list[Chunk]:
    with path.open(encoding="utf-8") as handle:
        return [Chunk(**json.loads(line)) for line in handle if line.strip()]


def question_owners(chunks: list[Chunk]) -> np.ndarray:
    """The chunk row of each associated question, in build order."""
    return np.array([row for row, chunk in enumerate(chunks) for _ in chunk.questions], dtype=np.int64)


def load_version(version_dir: Path, settings: Settings) -> LoadedIndex:
    manifest = versions.verify_version(version_dir, expected_manifest_fields(settings))
    chunks = read_chunks(version_dir / CHUNKS_FILE)
    dense = load_faiss(version_dir / DENSE_FILE, settings)
    sparse = load_bm25(version_dir / BM25_DIR)
    owner, start = unit_layout(chunks)
    if not (len(chunks) == sparse.scores["num_docs"] == manifest["counts"]["chunks"] and len(owner) == dense.ntotal):
        raise IndexCorrupt(f"{version_dir.name}: 分块数量不一致 / chunk counts disagree between files")
    questions = load_questions(version_dir, chunks, manifest, settings)
    terms = json.loads((version_dir / TERMS_FILE).read_text(encoding="utf-8"))
    chars = load_bm25(version_dir / CHARS_BM25_DIR)
    if chars.scores["num_docs"] != len(chunks):
        raise IndexCorrupt(f"{version_dir.name}: 字符索引数量不一致 / the character index's count disagrees")
    return LoadedIndex(manifest["version"], manifest, chunks, dense, sparse, owner, start, questions, terms, chars)


def load_questions(version_dir: Path, chunks: list[Chunk], manifest: dict, settings: Settings) -> QuestionIndex | None:
    expected = manifest["counts"].get("questions", 0)
    if not expected:
        return None
    rows = question_owners(chunks)
    dense = load_faiss(version_dir / QUESTIONS_DENSE_FILE, settings)
    sparse = load_bm25(version_dir / QUESTIONS_BM25_DIR)
    chars = load_bm25(version_dir / QUESTIONS_CHARS_DIR)
    if not (len(rows) == expected == dense.ntotal == sparse.scores["num_docs"] == chars.scores["num_docs"]):
        raise IndexCorrupt(f"{version_dir.name}: 关联问题数量不一致 / associated-question counts disagree between files")
    return QuestionIndex(dense, sparse, rows, chars)


def load_current(settings: Settings, kb: str) -> LoadedIndex:
    """The kb's current version; if it fails its checks, the newest older version that passes."""
    root = index_root(settings, kb)
    current = versions.current_version(root)
    candidates = [current] + [v for v in reversed(versions.list_versions(root)) if v < current]
    first_error: IndexCorrupt | None = None
    for version in candidates:
        try:
            loaded = load_version(versions.versions_dir(root) / version, settings)
        except IndexCorrupt as exc:
            log.error("refusing index version %s: %s", version, exc)
            first_error = first_error or exc
            continue
        if version != current:
            log.error("serving older index version %s because %s failed its checks", version, current)
        return loaded
    raise first_error
