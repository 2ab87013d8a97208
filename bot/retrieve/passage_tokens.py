"""Tokens of the index's own texts, computed once per index version.

Composing an answer weighs each sentence of the top passages by the question words it holds, and
the decision model's features weigh each candidate's passage, heading and associated question;
these texts do not change between questions, so their tokens are cut on first use and kept
(cutting a candidate's heading and question anew was 20 jieba cuts per answer).
Readers on many threads may fill the memo at once: a row cut twice gives the same tokens. An
index of up to FILL_AT_LOAD chunks is cut whole when it is loaded, before it serves (or, on a
re-index, before it replaces the version serving), so that no question pays for it.
"""

from indexer.chunk import PATH_SEPARATOR, Chunk
from kefu.text.tokenize import Tokenizer

# About 3 ms of jieba a chunk here: kb/'s five kbs (324 chunks, 1,682 questions) in 1.1 s. A
# bigger index (the 100k-chunk bench) is cut as questions reach its passages.
FILL_AT_LOAD = 5_000


def heading(chunk: Chunk) -> str:
    """The chunk's own heading: the last of its section path."""
    return chunk.section.split(PATH_SEPARATOR)[-1]


class PassageTokens:
    def __init__(self, chunks: list[Chunk], tokenizer: Tokenizer):
        self._chunks = chunks
        self._tokenizer = tokenizer
        self._passages: dict[int, list[str]] = {}
        self._units: dict[int, list[frozenset[str]]] = {}
        self._phrases: dict[str, list[str]] = {}

    def fill(self) -> "PassageTokens":
        """Every chunk's passage, units, heading and associated questions cut now."""
        for row, chunk in enumerate(self._chunks):
            self.passage(row)
            self.units(row)
            for text in (heading(chunk), *chunk.questions):
                self.phrase(text)
        return self

    def passage(self, row: int) -> list[str]:
        """Tokens of a chunk's index text (its headings and text), as BM25 saw them."""
        tokens = self._passages.get(row)
        if tokens is None:
            tokens = self._passages.setdefault(row, self._tokenizer.tokenize(self._chunks[row].index_text()))
        return tokens

    def units(self, row: int) -> list[frozenset[str]]:
        """The token set of each quotable unit of a chunk, in `quotable_units()` order."""
        sets = self._units.get(row)
        if sets is None:
            units = self._chunks[row].quotable_units()
            sets = self._units.setdefault(row, [frozenset(self._tokenizer.tokenize(u)) for u in units])
        return sets

    def phrase(self, text: str) -> list[str]:
        """Tokens of a heading or an associated question of this index (its texts only: the memo
        grows with the index, never with what customers type)."""
        tokens = self._phrases.get(text)
        if tokens is None:
            tokens = self._phrases.setdefault(text, self._tokenizer.tokenize(text))
        return tokens
