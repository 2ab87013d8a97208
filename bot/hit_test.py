"""The editors' hit test (命中测试): a question put to the bot exactly as a customer or an agent
would put it (BotService.preview, the same code as /api/ask), shown with everything that
decided the answer: the candidates in the order the bot answers from, each with its probability,
its features and each channel's score and rank; the band against its thresholds. Nothing is
recorded or counted."""

from bot.retrieve.results import hit_to_json
from bot.service import BotService, check_question
from kefu.vocab import Persona


def ranked_passage(hit, rank: int, probability: float, features: dict[str, float]) -> dict:
    return {
        **hit_to_json(hit), "rank": rank, "kind": hit.chunk.kind, "questions": list(hit.chunk.questions),
        "probability": round(probability, 6), "features": {name: round(value, 4) for name, value in features.items()},
        "dense_rank": hit.dense_rank, "bm25_rank": hit.sparse_rank,
        "sentence_score": None if hit.sentence_score is None else round(hit.sentence_score, 6),
    }


def hit_test(service: BotService, question: str, persona: Persona, kb: str) -> dict:
    text = check_question(question, service.settings.max_question_chars)
    result, outcome = service.preview(text, persona, kb)
    ranked = service.rank(text, persona, kb)  # the ranking decide() answered from, every candidate of it: the same call
    answer, suggest = service.thresholds(persona)
    return {
        "kb": kb, "persona": persona.value, "question": question,
        "band": result.band.value, "confidence": result.confidence, "answer": result.answer,
        "citations": result.citations, "suggestions": result.suggestions, "handoff": result.handoff.to_dict(),
        "signals": result.signals, "thresholds": {"answer": answer, "suggest": suggest},
        "passages": [
            ranked_passage(hit, rank, p, features)
            for rank, (hit, p, features) in enumerate(zip(ranked.hits, ranked.probabilities, ranked.features), start=1)
        ],
        "index_version": outcome.index_version,
    }
