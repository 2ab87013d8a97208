"""Retrieval quality of BM25, dense and hybrid on the gold questions, in one run."""

from bot.retrieve.search import RetrievalMode, Searcher
from eval.gold import GoldItem, answers
from eval.metrics import summarize

DEPTH = 10


def relevance_flags(searcher: Searcher, item: GoldItem, mode: RetrievalMode) -> list[bool]:
    return [answers(hit.chunk, item) for hit in searcher.search(item.question, DEPTH, mode)]


def evaluate_retrieval(searcher: Searcher, items: list[GoldItem], modes=tuple(RetrievalMode)) -> dict[str, dict[str, float]]:
    answerable = [item for item in items if item.answerable]
    return {mode.value: summarize([relevance_flags(searcher, item, mode) for item in answerable]) for mode in modes}
