"""How much of a question a passage covers: the share of the question's words it holds, each
weighted by its IDF in the kb (a rare word found counts for more than 的 or 吗)."""

import math
from collections.abc import Iterable


def coverage(question_tokens: Iterable[str], passage_tokens: Iterable[str], idf: dict[str, float]) -> float:
    wanted = set(question_tokens)
    if not wanted:
        return 0.0
    found = wanted & set(passage_tokens)
    total = sum(idf.get(t, 1.0) for t in wanted)
    return sum(idf.get(t, 1.0) for t in found) / total


def idf_from_bm25(sparse) -> dict[str, float]:
    """Robertson-Sparck Jones IDF, log(1 + (N - df + 0.5) / (df + 0.5)), with document
    frequencies read off the bm25s CSC matrix (one column per token)."""
    n_docs = sparse.scores["num_docs"]
    indptr = sparse.scores["indptr"]
    return {
        token: math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        for token, column in sparse.vocab_dict.items()
        if column + 1 < len(indptr) and (df := int(indptr[column + 1] - indptr[column])) >= 0
    }
