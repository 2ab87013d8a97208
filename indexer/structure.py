"""Restore a manual's outline as Markdown headings from its own numbering.

Captures lose line breaks, so 第二章, 第6条, 一、, (一), 1、, 1., 1), ①, A、 are first split
out of running text, then nested by the order in which their styles appear: the way a word
processor's multi-level numbering nests.
"""

import re
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十百零〇两"
_ARTICLE = rf"第[{CN_NUM}\d]+[章节条](?=\s)"

# (style name, pattern at the start of a block). Order matters: the first match wins.
MARKER_STYLES = [
    ("part", rf"第[{CN_NUM}\d]+篇"),
    ("chapter", rf"第[{CN_NUM}\d]+章"),
    ("section", rf"第[{CN_NUM}\d]+节"),
    ("article", rf"第[{CN_NUM}\d]+条"),
    ("cn", rf"[{CN_NUM}]+、"),
    ("cn_paren", rf"\([{CN_NUM}]+\)"),
    ("num_dot", r"\d{1,2}\.(?!\d)"),
    ("num", r"\d{1,2}、"),
    ("num_paren", r"\(\d{1,2}\)"),
    ("num_half_paren", r"\d{1,2}\)"),
    ("circled", r"[\u2460-\u2473]\.?"),
    ("letter", r"[A-H]、"),
    ("star", r"☆"),
]
_STYLE_RES = [(name, re.compile(pattern)) for name, pattern in MARKER_STYLES]
_MARKER = dict(_STYLE_RES)
# Styles whose rank is fixed: a 章 is never inside a 条, whatever order they appear in.
RANKED = ("part", "chapter", "section", "article")

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
_END_PUNCT = "。;!?,:"
# A table-of-contents line: dotted or dashed leaders before a page number.
# ("电话铃响……" is an ellipsis, not a leader: NFKC makes it six dots, but no page number follows.)
_TOC_LEADER = re.compile(r"(\.{5,}|-{5,}|…{3,}|·{5,})\s*\d+(\s|$)")
_SHORT_TITLE = 30
_TITLE_THEN_BODY = re.compile(r"^(\S{1,16}?)\s+(\S.*)$", re.DOTALL)


@dataclass(frozen=True)
class Block:
    text: str
    style: str | None  # numbering style, None for plain text


def marker_style(text: str) -> str | None:
    for name, pattern in _STYLE_RES:
        if pattern.match(text):
            return name
    return None


def _is_bare_marker(text: str) -> bool:
    return any(pattern.fullmatch(text) for _, pattern in _STYLE_RES)


def split_blocks(paragraph: str) -> list[Block]:
    """A paragraph into blocks that each start at one of the manual's own numbering marks."""
    blocks = []
    for line in paragraph.split("\n"):
        for piece in _SPLIT_BEFORE.split(line):
            piece = piece.strip()
            if piece and not _TOC_LEADER.search(piece) and not _is_bare_marker(piece):
                blocks.append(Block(piece, marker_style(piece)))
    return blocks


def heading_and_body(block: Block) -> tuple[str | None, str]:
    """Which part of a block is a heading: 第6条 alone, a short numbered title, or none."""
    if block.style is None:
        return None, block.text
    if block.style == "article":
        marker = _MARKER["article"].match(block.text).group(0)
        return marker, block.text[len(marker):].strip()
    if len(block.text) <= _SHORT_TITLE and block.text[-1] not in _END_PUNCT:
        return block.text, ""
    if block.style in ("chapter", "section", "cn", "cn_paren", "num_dot"):
        split = _TITLE_THEN_BODY.match(block.text)
        marker = _MARKER[block.style].match(block.text).group(0)
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


def to_markdown(title: str, paragraphs: list[str], max_level: int = 6) -> str:
    """Markdown with `# title` and one heading level per numbering style in use."""
    out = [f"# {title}", ""]
    stack: list[str] = []
    for paragraph in paragraphs:
        for block in split_blocks(paragraph):
            heading, body = heading_and_body(block)
            if heading:
                stack = nest(stack, block.style)
                level = min(len(stack) + 1, max_level)
                out += [f"{'#' * level} {heading}", ""]
            if body:
                out += [body, ""]
    return "\n".join(out).rstrip() + "\n"
