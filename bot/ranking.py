"""A question's candidates, ranked the way the bot answers from them: hybrid retrieval's top
passages, each scored by the decision model (the probability that it answers the question),
re-ranked by that probability. `BotService.decide`, `BotService.search` and `kefu eval` all rank
through here."""

from dataclasses import dataclass, replace

import numpy as np

from bot.decision import DecisionModel
from bot.features import Asked, candidate_features
from bot.reader import Reader
from bot.retrieve.search import Hit, Searcher
from kefu.settings import Settings
from kefu.text.correct import Change, Correction

RERANK_DEPTH = 10  # candidates scored by the decision model


@dataclass(frozen=True)
class Ranked:
    hits: list[Hit]  # best first, by the decision model
    probabilities: list[float]  # that each hit answers the question, in the same order
    features: list[dict[str, float]]
    vector: np.ndarray
    tokens: list[str]
    confidence: float  # calibrated: that the top hit answers the question
    corrections: tuple[Change, ...] = ()  # the typos the ranked text had corrected (保值期 → 保质期)


def weight_sum(settings: Settings) -> float:
    """The highest fused score the weights allow: first in every channel."""
    return settings.sparse_weight + settings.dense_weight + settings.question_sparse_weight


def rank_candidates(searcher: Searcher, readers: dict[str, Reader], model: DecisionModel, asked: Asked, vector: np.ndarray, depth: int = RERANK_DEPTH) -> Ranked:
    hits = searcher.search(asked.text, depth, query_vector=vector, query_tokens=asked.tokens)
    total = weight_sum(searcher.settings)
    features = [candidate_features(asked, hits, i, readers[hit.kb], searcher.tokenizer, total) for i, hit in enumerate(hits)]
    probabilities = [model.probability(row) for row in features]
    order = sorted(range(len(hits)), key=lambda i: (-probabilities[i], i))
    confidence = model.confidence(probabilities[order[0]]) if hits else 0.0
    return Ranked([hits[i] for i in order], [probabilities[i] for i in order], [features[i] for i in order], vector, asked.tokens, confidence)


def with_correction(plain: Ranked, corrected: Ranked | None, correction: Correction) -> Ranked:
    """The question as typed, or as corrected when that ranking is the surer of the two: both are
    searched, so a correction can only help."""
    if corrected is None or corrected.confidence <= plain.confidence:
        return plain
    return replace(corrected, corrections=correction.changes)
