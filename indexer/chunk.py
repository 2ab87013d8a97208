"""Cut documents into passages the bot can quote.

Rules: a chunk never leaves its section (so it never straddles two articles); long text is
split at sentence ends; a phrase-table row is a chunk of its own with the table's header;
short items are packed with their siblings so no chunk is an orphaned phrase.
"""

import hashlib
import re
from dataclasses import asdict, dataclass

from indexer.load import KbDocument
from indexer.markdown import Section, parse_markdown, sections
from kefu.text.sentences import sentence_spans

PATH_SEPARATOR = " › "
_LIST_MARK = re.compile(r"^(?:[-*+]\s+|>\s*)")
_EMPHASIS = re.compile(r"\*\*|__")
_TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")


@dataclass(frozen=True)
class Chunk:
    id: str
    doc: str
    title: str
    section: str  # heading path, e.g. 客户服务知识手册 › 第二章 服务质量标准 › 第9条
    text: str  # what the bot quotes
    start: int  # character offsets of the passage in the document's Markdown
    end: int
    kind: str  # "text" or "table_row"

    def index_text(self) -> str:
        """What retrieval sees: the headings under the title give short articles their context."""
        headings = self.section.split(PATH_SEPARATOR)[1:]
        return " ".join(headings + [self.text]) if headings else self.text

    def quotable_units(self) -> list[str]:
        """What may be quoted on its own: each sentence, or a whole phrase-table row."""
        if self.kind == "table_row":
            return [self.text]
        return [line[a:b] for line in self.text.split("\n") for a, b in sentence_spans(line)] or [self.text]

    def unit_index_texts(self) -> list[str]:
        """What the dense index embeds: each quotable unit under its own heading. A question
        is short; m3e matches it against one sentence far better than against a passage."""
        heading = self.section.split(PATH_SEPARATOR)[-1] if PATH_SEPARATOR in self.section else ""
        return [f"{heading} {unit}" if heading else unit for unit in self.quotable_units()]

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class Unit:
    """A piece that is never split further: a sentence run, an item, or a table row."""

    text: str
    start: int
    end: int
    kind: str = "text"


def plain(line: str) -> str:
    return _EMPHASIS.sub("", _LIST_MARK.sub("", line.strip()))


def table_cells(line: str) -> list[str]:
    return [plain(cell) for cell in line.strip().strip("|").split("|")]


def line_units(offset: int, line: str, max_chars: int) -> list[Unit]:
    """A line as one unit, or as sentence runs of at most max_chars when it is longer."""
    text = plain(line)
    if len(text) <= max_chars:
        return [Unit(text, offset, offset + len(line))]
    units: list[Unit] = []
    run_start = run_end = None
    for start, end in sentence_spans(line):
        if run_start is not None and end - run_start > max_chars:
            units.append(Unit(plain(line[run_start:run_end]), offset + run_start, offset + run_end))
            run_start = None
        run_start = start if run_start is None else run_start
        run_end = end
    if run_start is not None:
        units.append(Unit(plain(line[run_start:run_end]), offset + run_start, offset + run_end))
    return units


def section_units(section: Section, max_chars: int) -> list[Unit]:
    units: list[Unit] = []
    header: str | None = None
    for offset, line in section.lines:
        if not line.lstrip().startswith("|"):
            header = None
            units += line_units(offset, line, max_chars)
        elif _TABLE_RULE.match(line.strip()):
            continue
        elif header is None:
            header = " | ".join(table_cells(line))
        else:
            row = " | ".join(table_cells(line))
            units.append(Unit(f"{header}\n{row}", offset, offset + len(line), "table_row"))
    return units


def pack_units(units: list[Unit], min_chars: int, max_chars: int) -> list[Unit]:
    """Join consecutive text units while they fit in max_chars.

    A unit under min_chars is always joined when it fits, even to a run that has reached
    min_chars, so a lone phrase only stays alone where its section has nothing else.
    """
    packed: list[Unit] = []
    for unit in units:
        last = packed[-1] if packed else None
        joinable = last is not None and last.kind == unit.kind == "text"
        fits = joinable and len(last.text) + len(unit.text) + 1 <= max_chars
        wanted = joinable and (len(last.text) < min_chars or len(unit.text) < min_chars)
        if fits and (wanted or len(last.text) + len(unit.text) + 1 <= (min_chars + max_chars) // 2):
            packed[-1] = Unit(f"{last.text}\n{unit.text}", last.start, unit.end)
        else:
            packed.append(unit)
    return packed


def chunk_id(doc: str, section: str, text: str, occurrence: int) -> str:
    key = "\x1f".join([doc, section, text, str(occurrence)])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def chunk_document(doc: KbDocument, min_chars: int, max_chars: int) -> list[Chunk]:
    chunks, seen = [], {}
    for section in sections(parse_markdown(doc.markdown, doc.path.name)):
        path = PATH_SEPARATOR.join(section.path) if section.path else doc.title
        for unit in pack_units(section_units(section, max_chars), min_chars, max_chars):
            occurrence = seen.get((path, unit.text), 0)
            seen[(path, unit.text)] = occurrence + 1
            cid = chunk_id(doc.doc_id, path, unit.text, occurrence)
            chunks.append(Chunk(cid, doc.doc_id, doc.title, path, unit.text, unit.start, unit.end, unit.kind))
    return chunks
