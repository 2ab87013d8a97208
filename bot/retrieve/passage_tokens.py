"""Tokens of the index's own texts, computed once per index version.

Composing an answer weighs each sentence of the top passages by the question words it holds, and
the decision model's features weigh each candidate's passage, heading and associated question.
Which of the question's words a passage holds is read off its BM25 matrix (the index already
has every passage's words; a cut was ~3 ms of jieba for each passage a question first reached,
~14 ms of an answer's p50 on a 100k-chunk index). The other texts do not change between questions, so
their tokens are cut on first use and kept (cutting a candidate's heading and question anew was
20 jieba cuts per answer).
Readers on many threads may fill the memo at once: a row cut twice gives the same tokens. An
index of up to FILL_AT_LOAD chunks is cut whole when it is loaded, before it serves (or, on a
re-index, before it replaces the version serving), so that no question pays for it.
"""

from collections.abc import Sequence

import bm25s
import numpy as np
from scipy import sparse

from indexer.chunk import PATH_SEPARATOR, Chunk
from kefu.text.tokenize import Tokenizer

# About 1 ms of jieba a chunk here: kb/'s five kbs (324 chunks, 1,682 questions) in 0.4 s. A
# bigger index (the 100k-chunk bench) is cut as questions reach its passages.
FILL_AT_LOAD = 5_000


def heading(chunk: Chunk) -> str:
    """The chunk's own heading: the last of its section path."""
    return chunk.section.split(PATH_SEPARATOR)[-1]


def words_by_passage(retriever: bm25s.BM25) -> sparse.csr_matrix:
    """The BM25 matrix turned passage by passage: each row's sorted token ids (0.09 s for 100k chunks here)."""
    scores = retriever.scores
    indices, indptr = scores["indices"], scores["indptr"]
    present = np.ones(len(indices), dtype=np.bool_)
    return sparse.csc_matrix((present, indices, indptr), shape=(scores["num_docs"], len(indptr) - 1)).tocsr()


class PassageTokens:
    def __init__(self, chunks: list[Chunk], tokenizer: Tokenizer, retriever: bm25s.BM25):
        self._chunks = chunks
        self._tokenizer = tokenizer
        self._vocab: dict[str, int] = retriever.vocab_dict
        self._words = words_by_passage(retriever)
        self._units: dict[int, list[frozenset[str]]] = {}
        self._phrases: dict[str, list[str]] = {}

    def fill(self) -> "PassageTokens":
        """Every chunk's units, heading and associated questions cut now."""
        for row, chunk in enumerate(self._chunks):
            self.units(row)
            for text in (heading(chunk), *chunk.questions):
                self.phrase(text)
        return self

    def held(self, row: int, tokens: Sequence[str]) -> set[str]:
        """Those of `tokens` that a chunk's index text (its headings and text) holds, as BM25 cut it."""
        ids = {self._vocab[t]: t for t in tokens if t in self._vocab}
        words = self._words.indices[self._words.indptr[row]: self._words.indptr[row + 1]]
        if not ids or not len(words):
            return set()
        wanted = np.fromiter(ids, dtype=words.dtype, count=len(ids))
        at = np.minimum(np.searchsorted(words, wanted), len(words) - 1)
        return {ids[int(i)] for i in wanted[words[at] == wanted]}

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
