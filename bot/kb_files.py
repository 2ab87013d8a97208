"""The knowledge bases' files as they are now, for the editors' page: each document parsed and
cut into passages once per change of the file (its size and modification time), so listing
documents, passages and questions costs a stat per file. Unlike the served index, this shows
edits not yet re-indexed."""

import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from indexer.build import chunk_documents
from indexer.chunk import Chunk
from indexer.load import KbDocument, list_kb_files, read_document
from indexer.questions_file import PassageNotFound
from kefu.errors import KefuError
from kefu.kbs import KnowledgeBase
from kefu.settings import Settings
from kefu.text.normalize import fold_for_search


@dataclass(frozen=True)
class KbFile:
    path: Path
    size: int
    modified: datetime
    document: KbDocument | None  # None when the file cannot be parsed (error says why)
    passages: tuple[Chunk, ...]
    error: str | None = None

    @property
    def doc(self) -> str:
        return self.path.stem


def read_kb_file(path: Path, settings: Settings, kb: str) -> KbFile:
    stat = path.stat()
    modified = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
    try:
        document = read_document(path)
        passages = tuple(chunk_documents([document], settings, kb))
    except KefuError as exc:
        return KbFile(path, stat.st_size, modified, None, (), str(exc))
    return KbFile(path, stat.st_size, modified, document, passages)


class KbFiles:
    """Reads are thread-safe; a file changed between two calls is parsed again."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._parsed: dict[Path, tuple[tuple[int, int], KbFile]] = {}
        self._lock = threading.Lock()

    def files(self, kb: KnowledgeBase) -> list[KbFile]:
        return [self._file(path, kb.id) for path in list_kb_files(kb.folder)]

    def _file(self, path: Path, kb: str) -> KbFile:
        stat = path.stat()
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            cached = self._parsed.get(path)
        if cached and cached[0] == stamp:
            return cached[1]
        parsed = read_kb_file(path, self.settings, kb)
        with self._lock:
            self._parsed[path] = (stamp, parsed)
        return parsed

    def passages(self, kb: KnowledgeBase) -> list[Chunk]:
        return [passage for kb_file in self.files(kb) for passage in kb_file.passages]

    def find_passage(self, kb: KnowledgeBase, passage_id: str) -> tuple[KbFile, Chunk]:
        for kb_file in self.files(kb):
            for passage in kb_file.passages:
                if passage.id == passage_id:
                    return kb_file, passage
        raise PassageNotFound(f"知识库 {kb.id} 里没有段落 {passage_id} / no passage {passage_id!r} in knowledge base {kb.id}")

    def question_keys(self, kb: KnowledgeBase, cut: int) -> set[str]:
        """Every associated question of the kb's passages (FAQ entries' own included), folded
        and cut as the editors' loop compares customers' questions."""
        return {fold_for_search(question)[:cut] for passage in self.passages(kb) for question in passage.questions}


def served_files(reader) -> dict[str, str]:
    """file name -> sha256 of the kb files the served version was built from ({} with none)."""
    return reader.index.manifest.get("kb_files", {}) if reader is not None else {}


def served_questions(reader) -> dict[str, tuple[str, ...]] | None:
    """passage id -> its questions in the served version (None with no version served)."""
    return {chunk.id: chunk.questions for chunk in reader.index.chunks} if reader is not None else None


def document_state(kb_file: KbFile, served: dict[str, str]) -> str:
    if kb_file.document is None:
        return "unreadable"
    if kb_file.path.name not in served:
        return "new"
    return "indexed" if served[kb_file.path.name] == kb_file.document.sha256 else "changed"


def document_view(kb_file: KbFile, served: dict[str, str]) -> dict:
    document = kb_file.document
    meta = document.meta if document else {}
    return {
        "doc": kb_file.doc, "file": kb_file.path.name, "format": kb_file.path.suffix.lower().lstrip("."),
        "title": document.title if document else None, "source": meta.get("source"), "date": meta.get("date"),
        "passages": len(kb_file.passages), "questions": sum(len(p.questions) for p in kb_file.passages),
        "bytes": kb_file.size, "modified": kb_file.modified, "state": document_state(kb_file, served), "error": kb_file.error,
    }


def deleted_view(name: str) -> dict:
    """A document the served version holds whose file is gone: served until the next re-index."""
    path = Path(name)
    return {"doc": path.stem, "file": name, "format": path.suffix.lstrip("."), "title": None, "passages": 0, "questions": 0,
            "bytes": None, "modified": None, "state": "deleted"}


def passage_view(passage: Chunk, served: dict[str, tuple[str, ...]] | None, editable: bool, score: float | None = None) -> dict:
    indexed = None if served is None else served.get(passage.id) == passage.questions
    return {
        "id": passage.id, "doc": passage.doc, "title": passage.title, "section": passage.section, "text": passage.text,
        "kind": passage.kind, "questions": list(passage.questions), "editable": editable, "indexed": indexed, "score": score,
    }
