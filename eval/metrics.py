"""Retrieval metrics on ranked relevance flags (True where the passage at that rank is correct).

Definitions follow sentence-transformers' InformationRetrievalEvaluator: Recall@k counts a
query as found when any correct passage is in the top k (our gold names one answer per query
through key phrases, so this is also accuracy@k); MRR@k is the reciprocal rank of the first
correct passage; nDCG@k uses binary gains with log2 discounts, over the ideal ordering of the
relevant passages the ranking holds.
"""

import math
from collections.abc import Sequence


def recall_at(flags: Sequence[bool], k: int) -> float:
    return 1.0 if any(flags[:k]) else 0.0


def mrr_at(flags: Sequence[bool], k: int) -> float:
    for rank, relevant in enumerate(flags[:k], start=1):
        if relevant:
            return 1.0 / rank
    return 0.0


def dcg(flags: Sequence[bool]) -> float:
    return sum(1.0 / math.log2(rank + 1) for rank, relevant in enumerate(flags, start=1) if relevant)


def ndcg_at(flags: Sequence[bool], k: int) -> float:
    """DCG of the top k over the ideal DCG: the same relevant passages ranked first. (The gold
    set marks relevance per passage, so a ranking may hold several correct ones.)"""
    ideal = dcg(sorted(flags[:k], reverse=True))
    return dcg(flags[:k]) / ideal if ideal else 0.0


def mean(values: Sequence[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in [0, 1]); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def summarize(all_flags: Sequence[Sequence[bool]]) -> dict[str, float]:
    return {
        "R@1": mean([recall_at(f, 1) for f in all_flags]),
        "R@3": mean([recall_at(f, 3) for f in all_flags]),
        "R@5": mean([recall_at(f, 5) for f in all_flags]),
        "MRR@10": mean([mrr_at(f, 10) for f in all_flags]),
        "nDCG@10": mean([ndcg_at(f, 10) for f in all_flags]),
    }
