"""Cut documents into passages the bot can quote.

Rules: a chunk never leaves its section (so it never straddles two articles) and holds one
item of the manual: a numbered line with the lines that continue it, a title line with what
follows it, or a phrase-table row with the table's header. Long items are split at sentence
ends; only very short sibling items are packed together, so no chunk is an orphaned phrase
and none holds the tail of one rule and the head of the next. Associated questions written
under a passage (`> 问法：…`) ride on its chunk and end it.
"""

import hashlib
import re
from dataclasses import asdict, dataclass, replace

from indexer.load import KbDocument
from indexer.markdown import TABLE_RULE, Section, parse_markdown, sections
from indexer.numbering import leading_marker
from kefu.text.sentences import SENTENCE_END, sentence_spans

PATH_SEPARATOR = " › "
_LIST_MARK = re.compile(r"^(?:[-*+]\s+|>\s*)")
_EMPHASIS = re.compile(r"\*\*|__")
_SENTENCE_END = SENTENCE_END + "…"
_CLOSERS = "”’」』)）】"
_QUOTE = re.compile("[“”\"]")
_TITLE_MAX = 30


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
    questions: tuple[str, ...] = ()  # associated questions (关联问题): how people ask for it; never quoted
    kb: str = ""  # the knowledge base the passage belongs to

    def __post_init__(self):
        object.__setattr__(self, "questions", tuple(self.questions))  # a list when read back from JSON

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
    """A piece of a passage: a whole item, a sentence run of a long one, or a table row."""

    text: str
    start: int
    end: int
    kind: str = "text"
    questions: tuple[str, ...] = ()  # the associated questions written under it
    part: bool = False  # a sentence run of an item too long for one passage
    opens: bool = False  # begins an intro ("话务员态度:") or a titled rule: never packed onto what precedes


@dataclass
class Item:
    """One item of a section: a numbered line with the lines that continue it, a title line
    ("当需要客户在线等待时") with what follows it, a plain paragraph, or a table row."""

    lines: list[tuple[int, str]]
    header: str | None = None  # a table row's header cells, joined
    binds: bool = False  # later plain lines continue it
    marked: bool = False  # opened by a numbering mark
    titled: bool = False  # opened by a title line
    opens: bool = False  # an intro ("话务员态度:"): starts a passage of its own
    questions: tuple[str, ...] = ()
    closed: bool = False  # a question block ends it


def plain(line: str) -> str:
    return _EMPHASIS.sub("", _LIST_MARK.sub("", line.strip()))


def table_cells(line: str) -> list[str]:
    return [plain(cell) for cell in line.strip().strip("|").split("|")]


def is_title_line(text: str) -> bool:
    """A short line that ends no sentence and quotes nothing: a title for the lines after it."""
    core = text.rstrip(_CLOSERS)
    return 0 < len(text) <= _TITLE_MAX and core[-1:] not in _SENTENCE_END and not _QUOTE.search(text)


def opens_item(text: str, current: Item | None) -> bool:
    if current is None or current.closed or leading_marker(text):
        return True
    if is_title_line(text):  # a title inside a numbered item ("公司公告" under "6) 墙报…:") continues it
        return text.endswith(":") or not current.marked
    return not current.binds


def new_item(offset: int, line: str, text: str) -> Item:
    marked = leading_marker(text) is not None
    title = is_title_line(text)
    return Item([(offset, line)], binds=marked or title, marked=marked, titled=title and not marked, opens=title and text.endswith(":"))


def section_items(section: Section) -> list[Item]:
    items: list[Item] = []
    current: Item | None = None
    header: str | None = None
    line_end = None
    for index, (offset, line) in enumerate(section.lines):
        if offset != line_end:  # a blank line ends a table: the next one brings its own header
            header = None
        line_end = offset + len(line) + 1
        if line.lstrip().startswith("|"):
            if TABLE_RULE.match(line.strip()):
                continue
            if header is None:
                header, current = " | ".join(table_cells(line)), None
                continue
            current = Item([(offset, line)], header=header)
            items.append(current)
        else:
            header = None
            if opens_item(plain(line), current):
                current = new_item(offset, line, plain(line))
                items.append(current)
            else:
                current.lines.append((offset, line))
        if index in section.questions:
            current.questions, current.closed = section.questions[index], True
            header = None  # a question block ends a table: the next row needs its own header
    return items


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


def join_units(first: Unit, second: Unit) -> Unit:
    return Unit(f"{first.text}\n{second.text}", first.start, second.end, first.kind, second.questions, first.part, first.opens)


def item_units(item: Item, max_chars: int) -> list[Unit]:
    """An item as one unit, or, when longer than max_chars, as runs of its lines and sentences."""
    if item.header is not None:
        offset, line = item.lines[0]
        row = " | ".join(table_cells(line))
        return [Unit(f"{item.header}\n{row}", offset, offset + len(line), "table_row", item.questions)]
    pieces = [unit for offset, line in item.lines for unit in line_units(offset, line, max_chars)]
    runs = [pieces[0]]
    for piece in pieces[1:]:
        if len(runs[-1].text) + len(piece.text) + 1 <= max_chars:
            runs[-1] = join_units(runs[-1], piece)
        else:
            runs.append(piece)
    split = len(runs) > 1
    # a title with the lines it heads ("当需要客户在线等待时" and its reply) is a rule of its own
    opens = item.opens or item.titled and len(item.lines) > 1
    runs = [replace(run, part=split, opens=opens and i == 0) for i, run in enumerate(runs)]
    runs[-1] = replace(runs[-1], questions=item.questions)
    return runs


def section_units(section: Section, max_chars: int) -> list[Unit]:
    return [unit for item in section_items(section) for unit in item_units(item, max_chars)]


def pack_units(units: list[Unit], min_chars: int, max_chars: int) -> list[Unit]:
    """Pack very short sibling items (under min_chars each) into one passage while they fit in
    max_chars. Anything longer stays a passage of its own, so a passage never holds the tail
    of one rule and the head of the next; a question block or an intro line ends a pack."""
    packed: list[Unit] = []
    all_short = False  # whether the last passage is made of short items only
    for unit in units:
        last = packed[-1] if packed else None
        short = unit.kind == "text" and not unit.part and len(unit.text) < min_chars
        joinable = last is not None and all_short and short and not last.questions and not unit.opens
        if joinable and len(last.text) + len(unit.text) + 1 <= max_chars:
            packed[-1] = join_units(last, unit)
        else:
            packed.append(unit)
            all_short = short
    return packed


def chunk_id(kb: str, doc: str, section: str, text: str, occurrence: int) -> str:
    """Stable while the passage's text and place stay: its associated questions are left
    out, so editing them keeps every id. The kb is in it: ids are unique across knowledge bases."""
    key = "\x1f".join([kb, doc, section, text, str(occurrence)])
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def chunk_document(doc: KbDocument, min_chars: int, max_chars: int, kb: str = "") -> list[Chunk]:
    chunks, seen = [], {}
    for section in sections(parse_markdown(doc.markdown, doc.path.name)):
        path = PATH_SEPARATOR.join(section.path) if section.path else doc.title
        for unit in pack_units(section_units(section, max_chars), min_chars, max_chars):
            occurrence = seen.get((path, unit.text), 0)
            seen[(path, unit.text)] = occurrence + 1
            cid = chunk_id(kb, doc.doc_id, path, unit.text, occurrence)
            chunks.append(Chunk(cid, doc.doc_id, doc.title, path, unit.text, unit.start, unit.end, unit.kind, unit.questions, kb))
    return chunks
