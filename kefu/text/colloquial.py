"""Spoken Chinese written as the manuals write it: 咋办 → 怎么办, 能退不 → 能退吗, 两个小时 → 2个小时.

The rules are data (lexicon/colloquial.txt, its format described at its top), applied in one
left-to-right pass over the folded text: at each place the longest rule wins, so a kept word
(一次性, 号码 at the end) shields the characters it holds from the shorter rules.
"""

import functools
import re
from dataclasses import dataclass
from pathlib import Path

from kefu.text.normalize import fold_for_search

COLLOQUIAL = Path(__file__).parent / "lexicon" / "colloquial.txt"
NUMBER_SLOT = "{数}"
KEEP = "="
ARROW = "→"
# The end of a question: its last modal particles, then punctuation, a space or the end of the text.
_QUESTION_END = r"(?=[啊呀呢啦吧哇嘛]*(?:[?!。,;~？！，；～\s]|$))"
_NUMERAL = "[零〇一二两三四五六七八九十百]+"
_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
_POWERS = {"十": 10, "百": 100}


@dataclass(frozen=True)
class SpokenRules:
    pattern: re.Pattern
    written: dict[str, str]  # spoken form → written form (a kept word maps to itself)


def parse_rules(text: str) -> SpokenRules:
    """Rules from the lexicon's lines; a line that is none of its forms is refused, naming it."""
    literal, final, written, units = [], [], {}, []
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if line.startswith(NUMBER_SLOT) and len(line) > len(NUMBER_SLOT):
            units.append(line[len(NUMBER_SLOT) :])
        elif line:
            spoken, target = _rule(line, f"colloquial.txt:{number}")
            (final if spoken.endswith("$") else literal).append(spoken.rstrip("$"))
            if written.setdefault(spoken.rstrip("$"), target or spoken.rstrip("$")) != (target or spoken.rstrip("$")):
                raise ValueError(f"colloquial.txt:{number}: 「{spoken}」 两条规则冲突 / has two rules")
    return SpokenRules(_compile(literal, final, units), written)


def _rule(line: str, where: str) -> tuple[str, str | None]:
    """(spoken, written) of a `口语 → 书面` line, written None for a kept word (`词 =`)."""
    if line.endswith(KEEP):
        spoken, target = line[: -len(KEEP)].strip(), None
    elif ARROW in line:
        spoken, target = (part.strip() for part in line.split(ARROW, 1))
    else:
        raise ValueError(f"{where}: 无法解析规则 / cannot read the rule {line!r}")
    if not spoken.rstrip("$") or " " in spoken or target == "":
        raise ValueError(f"{where}: 无法解析规则 / cannot read the rule {line!r}")
    return spoken, target


def _compile(literal: list[str], final: list[str], units: list[str]) -> re.Pattern:
    # A one-character particle needs a word before it: a lone 不 is an answer, not a question.
    ending = [(w, ("(?<=\\w)" if len(w) == 1 else "") + re.escape(w) + _QUESTION_END) for w in final]
    words = [(w, re.escape(w)) for w in literal] + ending
    # Longest first: re takes the first alternative that matches at a place.
    alternatives = "|".join(pattern for _, pattern in sorted(words, key=lambda w: -len(w[0]))) or "(?!)"
    unit = "|".join(map(re.escape, sorted(units, key=len, reverse=True))) or "(?!)"
    return re.compile(f"(?P<word>{alternatives})|(?P<number>{_NUMERAL})(?={unit})")


def words_to_number(words: str) -> int | None:
    """十二 → 12, 二十四 → 24, 两 → 2, 一百零五 → 105; None for a range or no number (三四, 零)."""
    total, digit, last_power = 0, None, 1000
    for char in words:
        if char in _POWERS:
            power = _POWERS[char]
            if power >= last_power:
                return None
            total, digit, last_power = total + (1 if digit is None else digit) * power, None, power
        elif _DIGITS[char] == 0:
            if digit is not None or not total:
                return None
        elif digit is not None:
            return None  # 三四天 is three or four days
        else:
            digit = _DIGITS[char]
    value = total + (digit or 0)
    return value or None


@functools.lru_cache(maxsize=1)
def default_rules() -> SpokenRules:
    return parse_rules(COLLOQUIAL.read_text(encoding="utf-8"))


def spoken_to_written(text: str, rules: SpokenRules | None = None) -> str:
    """The folded text (fold_for_search) with its spoken forms written as the manuals write them."""
    rules = rules or default_rules()

    def rewrite(match: re.Match) -> str:
        if match.lastgroup == "number":
            value = words_to_number(match.group())
            return match.group() if value is None else str(value)
        return rules.written[match.group()]

    return rules.pattern.sub(rewrite, fold_for_search(text))
