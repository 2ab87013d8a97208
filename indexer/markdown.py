"""Read kb Markdown: front matter, and the body as sections under their heading paths.

A passage's associated questions (关联问题, the ways people ask for it) are written right
under its text, one per line: `> 问法：<question>`. They belong to the text line just above
them, are never text of a section, and never part of a heading.
"""

import re
from dataclasses import dataclass, field

from indexer.front_matter import load_front_matter
from kefu.errors import DocumentUnreadable

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
TABLE_RULE = re.compile(r"^\|?\s*:?-{3,}")  # a Markdown table's header rule: |---|---|
# NFKC turns the full-width colon into ":"; both are accepted in the file.
_QUESTION_START = re.compile(r"^\s*>\s*问法")
_QUESTION = re.compile(r"^\s*>\s*问法\s*[:：]\s*(.*?)\s*$")


@dataclass(frozen=True)
class ParsedMarkdown:
    meta: dict
    body: str
    body_offset: int  # where the body starts in the file's text
    name: str = "<markdown>"
    body_line: int = 1  # the file's line number of the body's first line


@dataclass
class Section:
    """Text under one heading: its heading path, and its lines with their file offsets."""

    path: tuple[str, ...]
    lines: list[tuple[int, str]] = field(default_factory=list)
    heading: tuple[int, str] | None = None  # the heading line itself (offset, text)
    questions: dict[int, tuple[str, ...]] = field(default_factory=dict)  # line index -> questions under it


def is_question_line(line: str) -> bool:
    """A well-formed associated-question line: `> 问法：` and a question."""
    match = _QUESTION.match(line)
    return bool(match and match.group(1))


def parse_markdown(text: str, name: str = "<markdown>") -> ParsedMarkdown:
    match = _FRONT_MATTER.match(text)
    if not match:
        return ParsedMarkdown({}, text, 0, name)
    meta = load_front_matter(match.group(1), name)
    return ParsedMarkdown(meta, text[match.end():], match.end(), name, text[: match.end()].count("\n") + 1)


def question_text(line: str, where: str) -> str:
    """The question a `> 问法：` line holds; a malformed line is refused, naming file and line."""
    match = _QUESTION.match(line)
    if not match:
        raise DocumentUnreadable(f"{where}: 问法行缺少冒号,应写作“> 问法：问题” / question line lacks its colon: write '> 问法：<question>'")
    if not match.group(1):
        raise DocumentUnreadable(f"{where}: 问法为空 / empty associated question")
    return match.group(1)


def attach_question(section: Section, question: str, where: str) -> None:
    """A question belongs to the text line right above it, in its own section."""
    if not section.lines:
        raise DocumentUnreadable(
            f"{where}: 问法必须写在它所属段落的正文之下,不能紧跟标题 / "
            "an associated question must follow the text of its passage, not a heading"
        )
    last, text = len(section.lines) - 1, section.lines[-1][1].strip()
    if TABLE_RULE.match(text) or text.startswith("|") and (last == 0 or not section.lines[last - 1][1].lstrip().startswith("|")):
        raise DocumentUnreadable(f"{where}: 问法不能跟在表头之后,应写在表格行之下 / an associated question must follow a table row, not its header")
    section.questions[last] = section.questions.get(last, ()) + (question,)


def sections(parsed: ParsedMarkdown) -> list[Section]:
    """Sections in document order. A section's path is its chain of headings (the `#` title first).

    A heading with neither text nor sub-headings under it is a list item the outline made a
    heading ("1) 客户未挂机前主动挂机"): its words join its parent's text, so they are searchable."""
    stack: list[tuple[int, str]] = []
    result = [Section(())]
    offset = parsed.body_offset
    for number, line in enumerate(parsed.body.splitlines(keepends=True), start=parsed.body_line):
        heading = _HEADING.match(line.rstrip("\n"))
        if heading:
            level = len(heading.group(1))
            stack = [(lvl, title) for lvl, title in stack if lvl < level] + [(level, heading.group(2))]
            result.append(Section(tuple(title for _, title in stack), heading=(offset + heading.start(2), heading.group(2))))
        elif _QUESTION_START.match(line):
            where = f"{parsed.name}:{number}"
            attach_question(result[-1], question_text(line, where), where)
        elif line.strip():
            result[-1].lines.append((offset, line.rstrip("\n")))
        offset += len(line)
    for section in result:
        check_table_after_questions(section, parsed)
    return merge_leaf_headings(result)


def check_table_after_questions(section: Section, parsed: ParsedMarkdown) -> None:
    """A question block ends a table: rows after it need the header again, or the first of
    them would silently be read as one."""
    for index in section.questions:
        following = section.lines[index + 1: index + 3]
        if following and following[0][1].lstrip().startswith("|") and section.lines[index][1].lstrip().startswith("|"):
            if len(following) < 2 or not TABLE_RULE.match(following[1][1].strip()):
                number = parsed.body_line + parsed.body[: following[0][0] - parsed.body_offset].count("\n")
                raise DocumentUnreadable(
                    f"{parsed.name}:{number}: 问法之后的表格行需要重复表头 / "
                    "table rows after an associated-question block need the table header again"
                )


def merge_leaf_headings(result: list[Section]) -> list[Section]:
    merged: list[Section] = []
    for section, following in zip(result, result[1:] + [None]):
        is_leaf = following is None or len(following.path) <= len(section.path)
        if section.lines:
            merged.append(section)
        elif section.heading and is_leaf and len(section.path) > 1:
            parent = section.path[:-1]
            if merged and merged[-1].path == parent:
                merged[-1].lines.append(section.heading)
            else:  # the parent's own text is not adjacent: a new piece, so no chunk straddles
                merged.append(Section(parent, [section.heading]))
    return merged
