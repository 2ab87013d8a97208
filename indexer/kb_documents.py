"""A knowledge base's documents as editors change them: found by id, placed, deleted. Every
change of a kb file is one atomic rename, made under the kb's edit lock (one writer at a time,
across processes), and a file that is not a document of the kb is never touched.
"""

import os
from pathlib import Path

from indexer.chunk import Chunk
from indexer.faq import FAQ_FILE, faq_with_entry
from indexer.load import list_kb_files
from indexer.questions_file import QuestionsNotWritable, passages_of, with_questions
from indexer.versions import file_lock
from kefu.errors import KefuError
from kefu.settings import Settings, index_root
from kefu.text.normalize import normalize_text


class DocumentNotFound(KefuError):
    status, code = 404, "unknown_document"


def edit_lock(settings: Settings, kb: str):
    return file_lock(index_root(settings, kb) / ".edit.lock")


def find_document(folder: Path, doc_id: str) -> Path:
    """The kb file whose document id (its stem) is `doc_id`. Only the kb's own document files
    are candidates, so no id (`..`, `kb`, `.upload-x`) can name anything else."""
    for path in list_kb_files(folder):
        if path.stem == doc_id:
            return path
    raise DocumentNotFound(f"知识库里没有文档 {doc_id} / no document {doc_id!r} in this knowledge base")


def place_document(folder: Path, name: str, staged: Path, replaces: Path | None = None) -> Path:
    """The checked file moved into the kb under `name`; the document it replaces under another
    name (手册.docx replaced by 手册.md) goes once the new one is in place."""
    target = folder / name
    os.replace(staged, target)
    if replaces is not None and replaces.name != name:
        replaces.unlink(missing_ok=True)
    return target


def write_text_atomic(path: Path, text: str) -> None:
    tmp = path.with_name("." + path.name + ".edit")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def set_questions(settings: Settings, kb: str, path: Path, passage_id: str, questions: list[str]) -> Chunk:
    """The passage's associated questions replaced in its file (indexer.questions_file)."""
    if path.suffix.lower() != ".md":
        raise QuestionsNotWritable(
            f"{path.name}: 问法只能写在 Markdown 文档里;此文档是 {path.suffix},请把它转成 .md 后替换 / "
            f"associated questions live in Markdown documents; replace this {path.suffix} with a .md first"
        )
    with edit_lock(settings, kb):
        edited = with_questions(path, path.read_text(encoding="utf-8"), passage_id, questions, settings, kb)
        write_text_atomic(path, edited.text)
    return edited.passage


def add_faq_entry(settings: Settings, kb: str, folder: Path, question: str, answer: str, author: str, questions: list[str] = ()) -> Chunk:
    """A new entry in the kb's faq.md, with more ways of asking it as associated questions of its
    answer; the answer's passage."""
    with edit_lock(settings, kb):
        text, start = faq_with_entry(folder, question, answer, author)
        path = folder / FAQ_FILE
        offset = len(normalize_text(text[:start]))  # normalising works line by line: the entry starts there
        passage = next(c for c in passages_of(path, text, settings, kb) if c.start >= offset)
        if questions:
            edited = with_questions(path, text, passage.id, [*passage.questions, *questions], settings, kb)
            text, passage = edited.text, edited.passage
        write_text_atomic(path, text)
    return passage
