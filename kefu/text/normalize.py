"""Normalising Chinese text: the same functions for documents and queries, so a query typed in
traditional characters or full-width digits meets the manuals on equal terms."""

import functools
import re
import unicodedata

from opencc import OpenCC

# Zero-width and BOM characters arrive in pasted text and in BQ data; they split words invisibly.
_INVISIBLE = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u3000\xa0]+")
# Letter-spaced titles ("客 户 服 务 规 范") are one word; a lone space after 第六条 is not.
_LETTER_SPACED = re.compile(r"(?:[\u4e00-\u9fff] ){2,}[\u4e00-\u9fff](?![\u4e00-\u9fff])")
# NFKC would turn ① into 1 and lose a numbering level the outline depends on.
_NFKC_KEEP = re.compile("([\u2460-\u2473])")


def normalize_text(text: str) -> str:
    """NFKC (full-width ASCII to half-width), no invisible or control characters, single spaces."""
    text = "".join(
        piece if _NFKC_KEEP.fullmatch(piece) else unicodedata.normalize("NFKC", piece)
        for piece in _NFKC_KEEP.split(text)
    )
    text = _INVISIBLE.sub("", text)
    text = _CONTROL.sub("", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = (_unspace(_SPACES.sub(" ", line)).strip() for line in text.split("\n"))
    return "\n".join(lines)


def _unspace(line: str) -> str:
    return _LETTER_SPACED.sub(lambda m: m.group(0).replace(" ", ""), line)


@functools.lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


@functools.lru_cache(maxsize=4096)
def fold_for_search(text: str) -> str:
    """What retrieval sees of a text: normalised, traditional folded to simplified, lower-case.
    Cached because one answer folds its question about fifteen times on the way (correction,
    spoken forms, tokens, follow-up, handoff, each candidate's answer kind) and OpenCC's
    pure-Python conversion costs ~0.2 ms a time; the function is pure, so a cached fold is the fold."""
    return _t2s().convert(normalize_text(text)).lower()


def compact(text: str) -> str:
    """Text with all white space removed: how two renderings of one sentence are compared."""
    return re.sub(r"\s+", "", normalize_text(text))
