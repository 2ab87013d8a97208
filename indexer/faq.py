"""Editor-written Q&A entries in a knowledge base's faq.md: the loop from a missed question to
a cited answer.

Entries are marked editor-written with author and date (the stamp line), so an editor or agent
reading a citation can tell them from the manuals; customers are shown them without it. They are indexed like any kb file; each entry's question (its `##`
heading) is its passage's associated question, matched like every other one.
"""

import os
import re
from dataclasses import replace
from datetime import date
from pathlib import Path

from indexer.chunk import PATH_SEPARATOR, Chunk
from indexer.importer import front_matter

FAQ_FILE = "faq.md"
FAQ_DOC_ID = "faq"
FAQ_TITLE = "常见问题(编辑撰写)"
_HEADING_BREAK = re.compile(r"[\r\n#]+")
# The stamp line `faq_entry` writes, as indexed (NFKC makes its full-width marks ASCII), with the
# line break before it.
EDITOR_STAMP = re.compile(r"\s*[(（]编辑撰写[:：][^()（）\n]*[)）]")


def faq_entry(question: str, answer: str, author: str, when: date) -> str:
    question = _HEADING_BREAK.sub(" ", question).strip()
    answer_lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    body = "\n\n".join(line.lstrip("#").strip() for line in answer_lines)
    author = " ".join(author.split())  # the API refuses line breaks in it; other callers get one line too
    return f"## {question}\n\n{body}\n\n(编辑撰写:{author},{when.isoformat()})\n"


def without_stamp(text: str) -> str:
    """An entry's text as customers see it: the editor's name and the date are the editors'
    and agents' business."""
    return EDITOR_STAMP.sub("", text)


def faq_with_entry(kb_folder: Path, question: str, answer: str, author: str, when: date | None = None) -> tuple[str, int]:
    """The kb's faq.md text with one more entry (front matter and title when it is new), and
    where in it the entry starts."""
    path = kb_folder / FAQ_FILE
    if path.exists():
        text = path.read_text(encoding="utf-8").rstrip("\n") + "\n\n"
    else:
        meta = {"title": FAQ_TITLE, "editor_written": True, "categories": ["常见问题"], "date": None}
        text = front_matter(meta) + f"# {FAQ_TITLE}\n\n"
    return text + faq_entry(question, answer, author, when or date.today()), len(text)


def append_faq(kb_folder: Path, question: str, answer: str, author: str, when: date | None = None) -> Path:
    """Add one entry to the kb's faq.md (created with front matter when missing), atomically."""
    path = kb_folder / FAQ_FILE
    text, _ = faq_with_entry(kb_folder, question, answer, author, when)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
    return path


def entry_question(chunk: Chunk) -> str | None:
    """The question an FAQ entry answers (its `##` heading in faq.md); None for manual text."""
    if chunk.doc != FAQ_DOC_ID or PATH_SEPARATOR not in chunk.section:
        return None
    return chunk.section.split(PATH_SEPARATOR)[-1]


def with_entry_questions(chunks: list[Chunk]) -> list[Chunk]:
    """Each FAQ entry's heading as an associated question of its first passage."""
    seen: set[str] = set()
    out = []
    for chunk in chunks:
        question = entry_question(chunk)
        if question is not None and question not in seen:
            seen.add(question)
            chunk = replace(chunk, questions=(question, *chunk.questions))
        out.append(chunk)
    return out
