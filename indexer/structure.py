"""Restore a manual's outline as Markdown headings from its own numbering.

Captures lose line breaks, so 第二章, 第6条, 一、, (一), 1、, 1., 1), ①, A、 are first split
out of running text, then nested by the order in which their styles appear: the way a word
processor's multi-level numbering nests.
"""

import re
from dataclasses import dataclass

from indexer.numbering import CN_NUM, MARKER, RANKED, is_bare_marker, leading_marker, marker_style

_ARTICLE = rf"第[{CN_NUM}\d]+[章节条](?=\s)"

_BEFORE_ITEM = r"(?<=[。;:!?\s”])"
_SPLIT_BEFORE = re.compile(
    "|".join(
        [
            rf"(?={_ARTICLE})",
            rf"{_BEFORE_ITEM}(?=[{CN_NUM}]+、)",
            rf"{_BEFORE_ITEM}(?=\([{CN_NUM}]+\))",
            rf"{_BEFORE_ITEM}(?=\d{{1,2}}(?:、|\.(?!\d)|\)))",
            rf"{_BEFORE_ITEM}(?=\(\d{{1,2}}\))",
            r"(?=[\u2460-\u2473])",
            rf"{_BEFORE_ITEM}(?=[A-H]、)",
            r"(?=☆)",
        ]
    )
)
# Marks a capture may glue straight onto the words before them ("…直接挂机12、若没有…").
_GLUABLE = ("cn", "cn_paren", "num", "num_paren", "num_half_paren", "circled")
_GLUED = re.compile("|".join(f"(?P<{name}>{MARKER[name].pattern})" for name in _GLUABLE))
_WORD_START = re.compile(r"[\u4e00-\u9fff(“A-Za-z]")
_GLUED_TITLE = 24  # longest numbered title that a capture glues onto its first sub-item
# A short unnumbered title between a sentence end and a new list: "…收线。接听电话注意事项一.开头语"
_TRAILING_TITLE = re.compile(r"(?<=[。!?;”])[^。!?;,:“”()\s]{2,16}:?$")
_END_PUNCT = "。;!?,:"
# A table-of-contents line: dotted or dashed leaders before a page number.
# ("电话铃响……" is an ellipsis, not a leader: NFKC makes it six dots, but no page number follows.)
_TOC_LEADER = re.compile(r"(\.{5,}|-{5,}|…{3,}|·{5,})\s*\d+(\s|$)")
_SHORT_TITLE = 30
_TITLE_THEN_BODY = re.compile(r"^(\S{1,16}?)\s+(\S.*)$", re.DOTALL)
# Inside a short numbered line, a colon or a quotation means content ("①服务人员着装规范:统一的
# 着装…", "④…表示歉意“对不起…”"), not a title.
_CONTENT_MARK = re.compile(r"[:“”]")


@dataclass(frozen=True)
class Block:
    text: str
    style: str | None  # numbering style, None for plain text


def split_blocks(paragraph: str) -> list[Block]:
    """A paragraph into blocks that each start at one of the manual's own numbering marks."""
    blocks = []
    for line in paragraph.split("\n"):
        for piece in _SPLIT_BEFORE.split(line):
            piece = piece.strip()
            if piece and not _TOC_LEADER.search(piece) and not is_bare_marker(piece):
                blocks.append(Block(piece, marker_style(piece)))
    return blocks


def _is_glued_item(text: str, start: int, mark: str, last: dict[str, int]) -> bool:
    """Whether a mark found inside a block's text starts an item the capture glued on.

    Two cases, both from the manual's own numbering: the mark continues its list (12、 after
    item 11, 三. after 二、), or it opens a sub-list right after a short numbered title
    ("1、服务投诉预警规范(1)受理…", "二、服务意识1、从基础服务…")."""
    found = leading_marker(mark)
    before, after = text[start - 1], text[start + len(mark): start + len(mark) + 1]
    is_bare_number = mark[0] != "("  # "12、" must not be read as "2、"
    if found.value is None or is_bare_number and (before.isdigit() or before in CN_NUM + "第") or not _WORD_START.match(after):
        return False
    if found.value == last.get(found.style, 0) + 1 or found.text.endswith(".") and found.style == "cn":
        return True  # "三." never stands in a sentence: it is a Chinese numeral's list mark
    own = leading_marker(text)
    title = text[len(own.text): start].strip() if own else ""
    return found.value == 1 and own is not None and 2 <= len(title) <= _GLUED_TITLE and not any(p in title for p in "。;!?,")


def unglue(block: Block, last: dict[str, int]) -> list[Block]:
    """Split the items a capture glued into one block; `last` holds each style's latest value
    in the document so far, and is updated."""
    pieces, text = [], block.text
    while True:
        own = leading_marker(text)
        if own and own.value is not None:
            last[own.style] = own.value
        glued = next(
            (m for m in _GLUED.finditer(text, len(own.text) if own else 1)
             if _is_glued_item(text, m.start(), m.group(0), last)),
            None,
        )
        if glued is None:
            return pieces + [Block(text, marker_style(text))]
        head = text[: glued.start()].rstrip()
        pieces.append(Block(head, marker_style(head)))
        text = text[glued.start():]


def split_trailing_titles(blocks: list[Block]) -> list[Block]:
    """A short title that ends a block is a block of its own when a new list (a first item)
    follows it: "…客户挂上电话后再轻轻收线。接听电话注意事项" before "一.开头语以及问候语"."""
    result = []
    for block, following in zip(blocks, blocks[1:] + [None]):
        mark = leading_marker(following.text) if following else None
        title = _TRAILING_TITLE.search(block.text) if mark and mark.value == 1 else None
        if title and title.start() > 0:
            result += [Block(block.text[: title.start()], block.style), Block(title.group(0), None)]
        else:
            result.append(block)
    return result


def outline_blocks(paragraphs: list[str]) -> list[Block]:
    """The document's blocks in order, each starting at one numbering mark (or plain text)."""
    last: dict[str, int] = {}
    blocks = [piece for paragraph in paragraphs for block in split_blocks(paragraph) for piece in unglue(block, last)]
    return split_trailing_titles(blocks)


def heading_and_body(block: Block) -> tuple[str | None, str]:
    """Which part of a block is a heading: 第6条 alone, a short numbered title, or none."""
    if block.style is None:
        return None, block.text
    if block.style == "article":
        marker = MARKER["article"].match(block.text).group(0)
        return marker, block.text[len(marker):].strip()
    is_content = block.style not in RANKED and _CONTENT_MARK.search(block.text[:-1])
    if len(block.text) <= _SHORT_TITLE and block.text[-1] not in _END_PUNCT and not is_content:
        return block.text, ""
    if block.style in ("chapter", "section", "cn", "cn_paren", "num_dot"):
        split = _TITLE_THEN_BODY.match(block.text)
        marker = MARKER[block.style].match(block.text).group(0)
        title = split.group(1) if split else ""
        if split and len(title) >= len(marker) + 2 and not any(p in title for p in _END_PUNCT):
            return title, split.group(2)
    return None, block.text


def nest(stack: list[str], style: str) -> list[str]:
    """The outline after a heading of `style`: a ranked style (篇 > 章 > 节 > 条) closes
    everything at or below its rank; another style is a sibling of its earlier self within
    the current ranked heading, or a new child."""
    if style in RANKED:
        rank = RANKED.index(style)
        keep = 0
        while keep < len(stack) and stack[keep] in RANKED and RANKED.index(stack[keep]) < rank:
            keep += 1
        return stack[:keep] + [style]
    floor = max((i + 1 for i, s in enumerate(stack) if s in RANKED), default=0)
    if style in stack[floor:]:
        return stack[: stack.index(style, floor)] + [style]
    return stack + [style]


@dataclass(frozen=True)
class Entry:
    level: int  # heading level, 0 for body text
    text: str
    style: str | None


def outline(paragraphs: list[str], max_level: int = 6) -> list[Entry]:
    entries: list[Entry] = []
    stack: list[str] = []
    for block in outline_blocks(paragraphs):
        heading, body = heading_and_body(block)
        if heading:
            stack = nest(stack, block.style)
            entries.append(Entry(min(len(stack) + 1, max_level), heading, block.style))
        if body:
            entries.append(Entry(0, body, None if heading else block.style))
    return entries


def has_body(entry: Entry, following: Entry) -> bool:
    """What follows a heading is its own when it is a deeper heading, plain text, or an item
    numbered in another style ("二、无法听清" before "5、…": the PPT numbers its scripts on
    across titles); "6、网店分布信息(…)" after "5、招聘信息" is the next item of its list."""
    if following.level:
        return following.level > entry.level
    return following.style != entry.style


def demote_empty_headings(entries: list[Entry]) -> list[Entry]:
    """A numbered heading with nothing of its own under it is a list item ("1) 客户未挂机前
    主动挂机"): plain text."""
    ends = entries[1:] + [Entry(1, "", None)]
    return [Entry(0, e.text, e.style) if e.level > 1 and not has_body(e, f) else e for e, f in zip(entries, ends)]


def to_markdown(title: str, paragraphs: list[str], max_level: int = 6) -> str:
    """Markdown with `# title` and one heading level per numbering style in use."""
    out = [f"# {title}", ""]
    for entry in demote_empty_headings(outline(paragraphs, max_level)):
        out += [f"{'#' * entry.level} {entry.text}" if entry.level else entry.text, ""]
    return "\n".join(out).rstrip() + "\n"
