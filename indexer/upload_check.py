"""An upload checked whole before it enters kb/: read, parsed and cut into passages exactly as
a build will, so a file that fails never becomes part of the kb (and never blocks a re-index)."""

from pathlib import Path

from indexer.chunk import chunk_document
from indexer.load import read_document


def check_upload(path: Path, kb: str, min_chars: int, max_chars: int) -> dict:
    """What the editor is told of a good upload; DocumentUnreadable naming the file, the line
    and the problem for a bad one."""
    document = read_document(path)
    chunks = chunk_document(document, min_chars, max_chars, kb)
    return {
        "doc": document.doc_id,
        "title": document.title,
        "date": document.meta.get("date"),
        "passages": len(chunks),
        "questions": sum(len(chunk.questions) for chunk in chunks),
    }
