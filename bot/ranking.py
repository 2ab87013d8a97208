"""A question's candidates, ranked the way the bot answers from them: hybrid retrieval's top
passages, each scored by the decision model (the probability that it answers the question),
re-ranked by that probability when the model says re-ranking helped in its cross-validation. `BotService.decide`, `BotService.search` and `kefu eval` all rank
through here."""

from dataclasses import dataclass, replace

import numpy as np

from bot.decision import DecisionModel
from bot.features import Asked, candidate_features
from bot.reader import Reader
from bot.retrieve.search import Fusion, Hit, RetrievalMode, Searcher, passage_fusion
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
    return sum(passage_fusion(settings).weights.values())


def rank_candidates(
    searcher: Searcher, readers: dict[str, Reader], model: DecisionModel, asked: Asked, vector: np.ndarray | None = None, fusion: Fusion | None = None,
    depth: int = RERANK_DEPTH, scored: bool = True,
) -> Ranked:
    """`vector` None has the searcher encode the question (beside its BM25 search); `fusion`
    other than the settings' is for ablations; the features keep the settings' scale, the one
    the decision model was fitted on. `scored=False` (a model that keeps the fused order, asked
    for the order alone) leaves features, probabilities and confidence out."""
    fusion = fusion or passage_fusion(searcher.settings)
    hits, vector = searcher.rank_and_vector(asked.text, depth, RetrievalMode.hybrid, fusion, vector, asked.tokens)
    if not scored:
        return Ranked(hits, [], [], vector, asked.tokens, 0.0)
    total = weight_sum(searcher.settings)
    features = [candidate_features(asked, hits, i, readers[hit.kb], total) for i, hit in enumerate(hits)]
    probabilities = [model.probability(row) for row in features]
    order = sorted(range(len(hits)), key=lambda i: (-probabilities[i], i)) if model.rerank else range(len(hits))
    confidence = model.confidence(probabilities[order[0]], asked.persona.value) if hits else 0.0
    return Ranked([hits[i] for i in order], [probabilities[i] for i in order], [features[i] for i in order], vector, asked.tokens, confidence)


def with_correction(plain: Ranked, corrected: Ranked | None, correction: Correction) -> Ranked:
    """The question as typed, or as corrected when that ranking is the surer of the two: both are
    searched, so a correction can only help."""
    if corrected is None or corrected.confidence <= plain.confidence:
        return plain
    return replace(corrected, corrections=correction.changes)
