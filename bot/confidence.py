"""How sure the bot may be that the top passage answers the question: a number in [0, 1].

Five retrieval signals, each scaled to [0, 1], in a weighted mean. The weights and the
scaling ranges were set by looking at the gold dev half; the two thresholds that turn the
number into answer / suggest / hand off are settings chosen on that half (docs/evaluation.md).
"""

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from bot.retrieve.search import Hit

# m3e-small cosines between a question and an unrelated passage sit around 0.70;
# a paraphrase of the passage reaches 0.85-0.92.
DENSE_FLOOR, DENSE_CEILING = 0.72, 0.90
BM25_HALF = 6.0  # the BM25 score that counts as half-way to certain
WEIGHTS = {"dense": 0.30, "bm25": 0.15, "agreement": 0.15, "coverage": 0.30, "margin": 0.10}


@dataclass(frozen=True)
class Signals:
    dense: float  # scaled cosine of the top passage
    bm25: float  # scaled BM25 of the top passage
    agreement: float  # 1 when both retrievers rank the top passage first, less as they disagree
    coverage: float  # IDF-weighted share of the question's words found in the top passage
    margin: float  # how far the top passage leads the second

    def to_dict(self) -> dict[str, float]:
        return {k: round(v, 4) for k, v in asdict(self).items()}


def clamp(value: float) -> float:
    return max(0.0, min(1.0, value))


def scale_dense(cosine: float | None) -> float:
    return 0.0 if cosine is None else clamp((cosine - DENSE_FLOOR) / (DENSE_CEILING - DENSE_FLOOR))


def scale_bm25(score: float | None) -> float:
    return 0.0 if not score else score / (score + BM25_HALF)


def agreement(hit: Hit) -> float:
    """1/(worse rank) of the two retrievers: 1 when both put it first, 0 when one missed it."""
    if hit.dense_rank is None or hit.sparse_rank is None:
        return 0.0
    return 1.0 / max(hit.dense_rank, hit.sparse_rank)


def coverage(question_tokens: Iterable[str], passage_tokens: Iterable[str], idf: dict[str, float]) -> float:
    wanted = set(question_tokens)
    if not wanted:
        return 0.0
    found = wanted & set(passage_tokens)
    total = sum(idf.get(t, 1.0) for t in wanted)
    return sum(idf.get(t, 1.0) for t in found) / total


def margin(hits: list[Hit]) -> float:
    if len(hits) < 2 or hits[0].score <= 0:
        return 1.0 if hits else 0.0
    return clamp((hits[0].score - hits[1].score) / hits[0].score * 4)


def gather_signals(hits: list[Hit], question_tokens: list[str], passage_tokens: list[str], idf: dict[str, float]) -> Signals:
    if not hits:
        return Signals(0.0, 0.0, 0.0, 0.0, 0.0)
    top = hits[0]
    return Signals(
        dense=scale_dense(top.dense_score),
        bm25=scale_bm25(top.sparse_score),
        agreement=agreement(top),
        coverage=coverage(question_tokens, passage_tokens, idf),
        margin=margin(hits),
    )


def confidence(signals: Signals) -> float:
    values = asdict(signals)
    return round(sum(WEIGHTS[name] * values[name] for name in WEIGHTS) / sum(WEIGHTS.values()), 4)


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
