"""The editors' hit test (命中测试): a question put to the bot exactly as a customer or an agent
would put it (BotService.preview, the same code as /api/ask), shown with everything that
decided the answer: the ranked passages with each channel's score and rank, the confidence
signals, the band against its thresholds. Nothing is recorded or counted."""

from bot.retrieve.results import hit_to_json
from bot.service import BotService
from kefu.vocab import Persona


def ranked_passage(hit, rank: int) -> dict:
    return {
        **hit_to_json(hit), "rank": rank, "kind": hit.chunk.kind, "questions": list(hit.chunk.questions),
        "dense_rank": hit.dense_rank, "bm25_rank": hit.sparse_rank,
        "sentence_score": None if hit.sentence_score is None else round(hit.sentence_score, 6),
    }


def hit_test(service: BotService, question: str, persona: Persona, kb: str) -> dict:
    result, outcome = service.preview(question, persona, kb)
    settings = service.settings
    return {
        "kb": kb, "persona": persona.value, "question": question,
        "band": result.band.value, "confidence": result.confidence, "answer": result.answer,
        "citations": result.citations, "suggestions": result.suggestions, "handoff": result.handoff.to_dict(),
        "signals": result.signals, "thresholds": {"answer": settings.answer_threshold, "suggest": settings.suggest_threshold},
        "passages": [ranked_passage(hit, rank) for rank, hit in enumerate(outcome.hits, start=1)],
        "index_version": outcome.index_version,
    }
