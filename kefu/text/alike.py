"""How alike two Chinese characters sound or look: what typo correction compares.

Sound is tone-less pinyin (pypinyin) with the confusions of speakers whose input method does not
tell zh/z, ch/c, sh/s, l/n or -ng/-n apart merged; look is the four-corner code (四角号码, the
four_corner_method table), equal for look-alikes such as 己/已, 未/末, 拨/拔, 候/侯.
"""

import functools
import re

from four_corner_method import FourCornerMethod
from pypinyin import Style, lazy_pinyin, pinyin

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]+")
# A numeral is never a typo of something else: 三天 must not become 删天, nor 2 a look-alike.
NUMERALS = frozenset("零〇一二两三四五六七八九十百千万亿")
_MERGED_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("l", "n"))


def fuzzy(syllable: str) -> str:
    """The syllable with zh/z, ch/c, sh/s, l/n and an/ang, en/eng, in/ing merged (ong stays)."""
    for spoken, merged in _MERGED_INITIALS:
        if syllable.startswith(spoken):
            syllable = merged + syllable[len(spoken):]
            break
    if syllable.endswith("ng") and not syllable.endswith("ong") and len(syllable) > 2:
        syllable = syllable[:-1]
    return syllable


@functools.lru_cache(maxsize=65536)
def sound(char: str) -> str:
    """A Han character's usual tone-less reading ('' for anything else).

    Only the first: a character typed by mistake was typed by its common reading, and the rare
    ones pypinyin also lists (服 bo, bi; 还 fu) would make 客服电话 sound like 客拨电话.
    """
    found = pinyin(char, style=Style.NORMAL, errors="ignore")
    return found[0][0] if found else ""


@functools.lru_cache(maxsize=65536)
def fuzzy_sound(char: str) -> str:
    return fuzzy(sound(char))


def term_syllables(term: str) -> tuple[str, ...]:
    """A word's tone-less pinyin read in context (重新: chong xin, not zhong xin)."""
    return tuple(lazy_pinyin(term, style=Style.NORMAL))


@functools.lru_cache(maxsize=1)
def four_corner_codes() -> dict[str, str]:
    """Character → five-digit four-corner code; read once (about 0.1 s), on first use."""
    return FourCornerMethod().data


def shape_key(char: str, codes: dict[str, str]) -> str:
    """The whole five-digit code ('' if unknown): the four corners alone put 里 with 目, 绑 with 约."""
    return codes.get(char, "")
