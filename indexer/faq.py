"""Editor-written Q&A entries in kb/faq.md: the loop from a missed question to a cited answer.

Entries are marked editor-written with author and date, so a reader of a citation can tell
them from the manuals; they are indexed like any kb file.
"""

import os
import re
from datetime import date
from pathlib import Path

from indexer.importer import front_matter

FAQ_FILE = "faq.md"
FAQ_DOC_ID = "faq"
FAQ_TITLE = "常见问题(编辑撰写)"
_HEADING_BREAK = re.compile(r"[\r\n#]+")


def faq_entry(question: str, answer: str, author: str, when: date) -> str:
    question = _HEADING_BREAK.sub(" ", question).strip()
    answer_lines = [line.strip() for line in answer.strip().splitlines() if line.strip()]
    body = "\n\n".join(line.lstrip("#").strip() for line in answer_lines)
    return f"## {question}\n\n{body}\n\n(编辑撰写:{author.strip()},{when.isoformat()})\n"


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
