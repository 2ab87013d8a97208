"""Editor-written Q&A entries in kb/faq.md: the loop from a missed question to a cited answer.

Entries are marked editor-written with author and date, so a reader of a citation can tell
them from the manuals. They are indexed like any kb file, and each entry's question also goes
into the version's question index: matching a question against questions is another task
than matching it against passages, with its own fusion weights (FAQ mode).
"""

import os
import re
from datetime import date
from pathlib import Path

from indexer.chunk import PATH_SEPARATOR, Chunk
from indexer.importer import front_matter

FAQ_FILE = "faq.md"
FAQ_DOC_ID = "faq"
FAQ_TITLE = "常见问题(编辑撰写)"
_HEADING_BREAK = re.compile(r"[\r\n#]+")


def faq_entry(question: str, answer: str, author: str, when: date) -> str:
    question = _HEADING_BREAK.sub(" ", question).strip()
    answer_lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    body = "\n\n".join(line.lstrip("#").strip() for line in answer_lines)
    author = " ".join(author.split())  # the API refuses line breaks in it; other callers get one line too
    return f"## {question}\n\n{body}\n\n(编辑撰写:{author},{when.isoformat()})\n"


def append_faq(kb_dir: Path, question: str, answer: str, author: str, when: date | None = None) -> Path:
    """Add one entry to kb/faq.md (created with front matter when missing), atomically."""
    path = kb_dir / FAQ_FILE
    if path.exists():
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    else:
        meta = {"title": FAQ_TITLE, "editor_written": True, "categories": ["常见问题"], "date": None}
        text = front_matter(meta) + f"# {FAQ_TITLE}\n\n"
    text += faq_entry(question, answer, author, when or date.today())
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def entry_question(chunk: Chunk) -> str | None:
    """The question an FAQ entry answers (its `##` heading in kb/faq.md); None for manual text."""
    if chunk.doc != FAQ_DOC_ID or PATH_SEPARATOR not in chunk.section:
        return None
    return chunk.section.split(PATH_SEPARATOR)[-1]


def question_rows(chunks: list[Chunk]) -> list[tuple[int, str]]:
    """(chunk row, question) for each FAQ entry, at its first chunk when a long answer is split."""
    rows: dict[str, int] = {}
    for row, chunk in enumerate(chunks):
        question = entry_question(chunk)
        if question is not None:
            rows.setdefault(question, row)
    return [(row, question) for question, row in rows.items()]
