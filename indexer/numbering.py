"""The manuals' own item numbering: which style a mark is (第6条, 一、, (一), 1、, ①, A、 …) and
its value, so the outliner can nest items and tell a glued item from a number in a sentence.
"""

import re
from dataclasses import dataclass

CN_NUM = "一二三四五六七八九十百零〇两"

# (style name, pattern at the start of a block). Order matters: the first match wins.
# "一." and "一、" are one style: the PPT capture numbers one list 一. 二、 三. 四.
MARKER_STYLES = [
    ("part", rf"第[{CN_NUM}\d]+篇"),
    ("chapter", rf"第[{CN_NUM}\d]+章"),
    ("section", rf"第[{CN_NUM}\d]+节"),
    ("article", rf"第[{CN_NUM}\d]+条"),
    ("cn", rf"[{CN_NUM}]+(?:、|\.(?!\d))"),
    ("cn_paren", rf"\([{CN_NUM}]+\)"),
    ("num_dot", r"\d{1,2}\.(?!\d)"),
    ("num", r"\d{1,2}、"),
    ("num_paren", r"\(\d{1,2}\)"),
    ("num_half_paren", r"\d{1,2}\)"),
    ("circled", r"[\u2460-\u2473]\.?"),
    ("letter", r"[A-H]、"),
    ("star", r"☆"),
]
STYLE_RES = [(name, re.compile(pattern)) for name, pattern in MARKER_STYLES]
MARKER = dict(STYLE_RES)
# Styles whose rank is fixed: a 章 is never inside a 条, whatever order they appear in.
RANKED = ("part", "chapter", "section", "article")

_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


@dataclass(frozen=True)
class Marker:
    style: str
    text: str  # the mark itself, e.g. "12、"
    value: int | None  # its number (12), None where the style has none (☆)


def cn_number(numeral: str) -> int | None:
    """一 → 1, 十 → 10, 十二 → 12, 三十六 → 36: the numbers an outline uses (below 100)."""
    if numeral and all(ch in _CN_DIGIT for ch in numeral):
        return int("".join(str(_CN_DIGIT[ch]) for ch in numeral))
    tens, sep, units = numeral.partition("十")
    if not sep or not all(ch in _CN_DIGIT for ch in tens + units) or len(tens) > 1 or len(units) > 1:
        return None
    return (_CN_DIGIT[tens] if tens else 1) * 10 + (_CN_DIGIT[units] if units else 0)


def marker_value(style: str, mark: str) -> int | None:
    if style == "star":
        return None
    if style == "circled":
        return ord(mark[0]) - 0x2460 + 1
    if style == "letter":
        return ord(mark[0]) - ord("A") + 1
    digits = re.search(r"\d+", mark)
    if digits:
        return int(digits.group(0))
    return cn_number(re.sub(rf"[^{CN_NUM}]", "", mark.removeprefix("第")))


def leading_marker(text: str) -> Marker | None:
    """The numbering mark a text starts with, if any."""
    for name, pattern in STYLE_RES:
        match = pattern.match(text)
        if match:
            return Marker(name, match.group(0), marker_value(name, match.group(0)))
    return None


def marker_style(text: str) -> str | None:
    marker = leading_marker(text)
    return marker.style if marker else None


def is_bare_marker(text: str) -> bool:
    return any(pattern.fullmatch(text) for _, pattern in STYLE_RES)
