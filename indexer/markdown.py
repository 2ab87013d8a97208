"""Read kb Markdown: front matter, and the body as sections under their heading paths."""

import re
from dataclasses import dataclass, field

import yaml

from kefu.errors import DocumentUnreadable

_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n?", re.DOTALL)
_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")


@dataclass(frozen=True)
class ParsedMarkdown:
    meta: dict
    body: str
    body_offset: int  # where the body starts in the file's text


@dataclass
class Section:
    """Text under one heading: its heading path, and its lines with their file offsets."""

    path: tuple[str, ...]
    lines: list[tuple[int, str]] = field(default_factory=list)
    heading: tuple[int, str] | None = None  # the heading line itself (offset, text)


def parse_markdown(text: str, name: str = "<markdown>") -> ParsedMarkdown:
    match = _FRONT_MATTER.match(text)
    if not match:
        return ParsedMarkdown({}, text, 0)
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise DocumentUnreadable(f"{name}: 前置元数据不是有效的 YAML / front matter is not valid YAML ({exc})") from exc
    if not isinstance(meta, dict):
        raise DocumentUnreadable(f"{name}: 前置元数据必须是键值对 / front matter must be a mapping")
    return ParsedMarkdown(meta, text[match.end():], match.end())


def sections(parsed: ParsedMarkdown) -> list[Section]:
    """Sections in document order. A section's path is its chain of headings (the `#` title first).

    A heading with neither text nor sub-headings under it is a list item the outline made a
    heading ("1) 客户未挂机前主动挂机"): its words join its parent's text, so they are searchable."""
    stack: list[tuple[int, str]] = []
    result = [Section(())]
    offset = parsed.body_offset
    for line in parsed.body.splitlines(keepends=True):
        heading = _HEADING.match(line.rstrip("\n"))
        if heading:
            level = len(heading.group(1))
            stack = [(lvl, title) for lvl, title in stack if lvl < level] + [(level, heading.group(2))]
            result.append(Section(tuple(title for _, title in stack), heading=(offset + heading.start(2), heading.group(2))))
        elif line.strip():
            result[-1].lines.append((offset, line.rstrip("\n")))
        offset += len(line)
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
