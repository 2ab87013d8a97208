"""Sentence boundaries of Chinese text: what the bot may quote on its own."""

import re

SENTENCE_END = "。！？；!?;"
_CLOSERS = "”’」』)）】"
_SENTENCE = re.compile(rf"[^{SENTENCE_END}\n]*[{SENTENCE_END}]+[{_CLOSERS}]*|[^{SENTENCE_END}\n]+")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: ends at 。！？；(or half-width forms), closing quotes kept."""
    spans = []
    for match in _SENTENCE.finditer(text):
        piece = match.group(0)
        lead = len(piece) - len(piece.lstrip())
        if piece.strip():
            spans.append((match.start() + lead, match.start() + len(piece.rstrip())))
    return spans


def split_sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in sentence_spans(text)]
