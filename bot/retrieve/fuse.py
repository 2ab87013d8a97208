"""Fusion of ranked lists, as pure functions. Ids are chunk row numbers."""

from collections.abc import Sequence


def rrf(rankings: Sequence[Sequence[int]], weights: Sequence[float], k: int = 60) -> dict[int, float]:
    """Weighted reciprocal-rank fusion (Cormack, Clarke & Büttcher 2009):
    score(d) = sum_i w_i / (k + rank_i(d)), ranks counted from 1; absent lists add nothing."""
    if len(rankings) != len(weights):
        raise ValueError(f"{len(rankings)} rankings but {len(weights)} weights; give one weight per ranking")
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, doc in enumerate(ranking, start=1):
            fused[doc] = fused.get(doc, 0.0) + weight / (k + rank)
    return fused


def min_max(scores: dict[int, float]) -> dict[int, float]:
    """Scores scaled to [0, 1] over the candidates; a lone or flat list scales to 1."""
    if not scores:
        return {}
    low, high = min(scores.values()), max(scores.values())
    if high == low:
        return {doc: 1.0 for doc in scores}
    return {doc: (s - low) / (high - low) for doc, s in scores.items()}


def score_fusion(score_lists: Sequence[dict[int, float]], weights: Sequence[float]) -> dict[int, float]:
    """Weighted sum of min-max normalised scores (a candidate missing from a list gets 0 there)."""
    if len(score_lists) != len(weights):
        raise ValueError(f"{len(score_lists)} score lists but {len(weights)} weights; give one weight per list")
    fused: dict[int, float] = {}
    for scores, weight in zip(score_lists, weights):
        for doc, s in min_max(scores).items():
            fused[doc] = fused.get(doc, 0.0) + weight * s
    return fused


def top(scores: dict[int, float], k: int) -> list[tuple[int, float]]:
    """The k best (id, score), ties broken by id so results are reproducible."""
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))[:k]
