"""What the decision model sees of one candidate passage for one question: retrieval scores,
ranks, word coverage, heading and answer-kind matches. Pure functions over a search's hits.

The same function computes them when the model is fitted (eval/fit_decision.py) and when the
bot answers, so the two can never drift apart.
"""

import math
from dataclasses import dataclass

from bot.answer_kind import asks_amount, states_amount
from bot.coverage import coverage
from bot.reader import Reader
from bot.retrieve.passage_tokens import heading
from bot.retrieve.search import Hit
from indexer.faq import FAQ_DOC_ID
from kefu.vocab import Persona

FEATURES = (
    "dense", "sentence", "question_cosine", "bm25", "question_bm25", "char_bm25", "question_char_bm25", "fused_share", "rank", "gap_to_top", "margin",
    "dense_rank", "sparse_rank", "coverage", "known_coverage", "unknown_share", "question_coverage", "heading_coverage",
    "asks_amount", "states_asked_amount", "faq", "agent", "several_kbs",
)


@dataclass(frozen=True)
class Asked:
    """The question as retrieval saw it."""

    text: str
    tokens: list[str]
    persona: Persona
    kbs: int  # how many kbs it was searched in: all of them mixed (an agent serving several companies) compete harder


def inverse(rank: int | None) -> float:
    return 1.0 / rank if rank else 0.0


def candidate_features(asked: Asked, hits: list[Hit], position: int, reader: Reader, weight_sum: float) -> dict[str, float]:
    """Features of hits[position] (a candidate among the ranked hits of one search)."""
    hit = hits[position]
    chunk = hit.chunk
    following = hits[position + 1].score if position + 1 < len(hits) else 0.0
    wants_amount = asks_amount(asked.text)
    passage = reader.passage_tokens.held(hit.row, asked.tokens)  # coverage needs no more of it
    return {
        "dense": hit.dense_score or 0.0,
        "sentence": hit.sentence_score or 0.0,
        "question_cosine": hit.question_score or 0.0,
        "bm25": math.log1p(hit.sparse_score or 0.0),
        "question_bm25": math.log1p(hit.question_sparse_score or 0.0),
        "char_bm25": math.log1p(hit.char_score or 0.0),
        "question_char_bm25": math.log1p(hit.question_char_score or 0.0),
        "fused_share": hit.score / weight_sum,
        "rank": inverse(position + 1),
        "gap_to_top": (hits[0].score - hit.score) / weight_sum,
        "margin": (hit.score - following) / weight_sum,
        "dense_rank": inverse(hit.dense_rank),
        "sparse_rank": inverse(hit.sparse_rank),
        "coverage": coverage(asked.tokens, passage, reader.idf),
        # The words the kb knows at all: a typo, an English word or pasted text does not count against a passage.
        "known_coverage": coverage([t for t in asked.tokens if t in reader.idf], passage, reader.idf),
        "unknown_share": sum(t not in reader.idf for t in asked.tokens) / len(asked.tokens) if asked.tokens else 1.0,
        "question_coverage": coverage(asked.tokens, reader.passage_tokens.phrase(hit.question), reader.idf) if hit.question else 0.0,
        "heading_coverage": coverage(asked.tokens, reader.passage_tokens.phrase(heading(chunk)), reader.idf),
        "asks_amount": float(wants_amount),
        "states_asked_amount": float(wants_amount and states_amount(chunk.text)),
        "faq": float(chunk.doc == FAQ_DOC_ID),
        "agent": float(asked.persona == Persona.agent),
        "several_kbs": float(asked.kbs > 1),
    }
