"""`kefu eval`: retrieval per persona and per kb with its ablations, answers, handoff,
calibration and latency on the same questions, with the peer baseline, in one run.

Every question is asked in its own kb, as that company's widget would ask it; the ablation
rows ask it with the associated questions left out, with no kb at all (every kb mixed, as an
agent serving several companies would), and through one family of retrievers alone.
"""

import os
import platform
import statistics
import sys
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone

from tqdm import tqdm

from bot.features import Asked
from bot.ranking import rank_candidates, with_correction
from bot.reader import Reader
from bot.retrieve.search import Hit, RetrievalMode, passage_fusion
from bot.service import BotService
from eval.baseline import BaselineRetriever, baseline_answers
from eval.handoff import Row, ece_by_chance, expected_calibration_error, handoff_scores, reliability, threshold_sweep
from eval.metrics import percentile, summarize
from indexer.build import load_documents
from kefu.gold import GoldItem, answers, holds_key_phrase
from kefu.text.colloquial import spoken_to_written
from kefu.vocab import Band, HandoffReason, Persona

DEPTH = 10
FORCING = {HandoffReason.urgent, HandoffReason.user_request, HandoffReason.out_of_scope}
SWEEP = [round(0.20 + 0.05 * i, 2) for i in range(11)]
PERSONAS = tuple(p.value for p in Persona)
BASELINE = "baseline (250-char chunks, dense only, in kb)"


@dataclass(frozen=True)
class Setting:
    """One way of asking: in the item's kb or in all of them, with or without the associated
    questions, through every channel or one family."""

    in_kb: bool = True
    questions: bool = True
    mode: RetrievalMode = RetrievalMode.hybrid
    rerank: bool = False  # as the bot answers: fused, then re-ranked by the decision model
    colloquial: bool = True  # the question rewritten spoken → written (passages are, in the index)
    correct: bool = True  # typos corrected toward the kb's vocabulary
    chars: bool = True  # the character channel in fusion


SETTINGS = {
    "in kb": Setting(rerank=True),
    "in kb, no spoken → written rewriting": Setting(rerank=True, colloquial=False),
    "in kb, no typo correction": Setting(rerank=True, correct=False),
    "in kb, no character channel": Setting(rerank=True, chars=False),
    "first day: in kb, no associated questions, as the bot ranks": Setting(rerank=True, questions=False),
    "in kb, fused, not re-ranked": Setting(),
    "in kb, no associated questions": Setting(questions=False),
    "no kb (all kbs mixed)": Setting(in_kb=False, rerank=True),
    "in kb, BM25 channels only": Setting(mode=RetrievalMode.sparse),
    "in kb, dense channels only": Setting(mode=RetrievalMode.dense),
}


def quotes_key_phrase(quotes: list[str], item: GoldItem) -> bool:
    return holds_key_phrase("".join(quotes), item)


def ranked_without(service: BotService, item: GoldItem, setting: Setting, readers: list[Reader]) -> list[Hit]:
    """BotService.rank with some of its levers off, step for step."""
    text = spoken_to_written(item.question) if setting.colloquial else item.question
    fusion = passage_fusion(service.settings, setting.questions)
    if not setting.chars:
        fusion = replace(fusion, weights={**fusion.weights, "chars": 0.0, "question_chars": 0.0})

    def ranked(query: str):
        asked = Asked(query, service.tokenizer.tokenize(query), Persona(item.persona), len(readers))
        return rank_candidates(service.searcher(readers), {r.kb: r for r in readers}, service.decision, asked, service.queries.encode(query), fusion)

    correction = service.corrector_for(readers).correct(text)
    corrected = ranked(correction.text) if setting.correct and correction.changes else None
    return with_correction(ranked(text), corrected, correction).hits


def retrieval_flags(service: BotService, item: GoldItem) -> dict[str, list[bool]]:
    """Per setting, whether each of the top DEPTH passages answers the item."""
    flags = {}
    for name, setting in SETTINGS.items():
        readers = service.readers_for(item.kb if setting.in_kb else None)
        if setting == Setting(in_kb=setting.in_kb, rerank=True):
            hits = service.rank(item.question, Persona(item.persona), readers=readers).hits
        elif setting.rerank:
            hits = ranked_without(service, item, setting, readers)
        else:
            hits = service.searcher(readers).search(spoken_to_written(item.question), DEPTH, setting.mode, questions=setting.questions)
        flags[name] = [answers(hit.chunk, item) for hit in hits[:DEPTH]]
    return flags


def decision_row(service: BotService, item: GoldItem, kb: str | None) -> tuple[Row, float]:
    """The bot's decision on one question asked in `kb` (None: all kbs), and how long it took."""
    started = time.perf_counter()
    outcome = service.decide(item.question, Persona(item.persona), 0, kb)
    elapsed_ms = (time.perf_counter() - started) * 1000
    quotes = outcome.composed.quotes if outcome.composed else []
    row = Row(
        answerable=item.answerable,
        top_correct=bool(outcome.hits) and answers(outcome.hits[0].chunk, item),
        quote_correct=item.answerable and bool(quotes) and quotes_key_phrase(quotes, item),
        confidence=outcome.score,
        forced=outcome.reason in FORCING,
        handed_off=outcome.band != Band.answer,
    )
    return row, elapsed_ms


def answer_scores(rows: list[Row]) -> dict[str, float]:
    answerable = [r for r in rows if r.answerable]
    unanswerable = [r for r in rows if not r.answerable]
    n = len(answerable) or 1
    return {
        "answered_with_key_phrase": sum(1 for r in answerable if not r.handed_off and r.quote_correct) / n,
        "answered_with_wrong_passage": sum(1 for r in answerable if not r.handed_off and not r.quote_correct) / n,
        "answerable_handed_off": sum(1 for r in answerable if r.handed_off) / n,
        "unanswerable_answered": sum(1 for r in unanswerable if not r.handed_off) / (len(unanswerable) or 1),
    }


def groups(items: list[GoldItem]) -> dict[str, list[int]]:
    """Positions of the items in each group: all, each persona, each kb."""
    out = {"all": list(range(len(items)))}
    for persona in PERSONAS:
        out[persona] = [i for i, item in enumerate(items) if item.persona == persona]
    for kb in sorted({item.kb for item in items}):
        out[f"kb:{kb}"] = [i for i, item in enumerate(items) if item.kb == kb]
    return {name: members for name, members in out.items() if members}


def grouped(values: list, items: list[GoldItem], score) -> dict[str, dict]:
    return {name: {**score([values[i] for i in members]), "n": len(members)} for name, members in groups(items).items()}


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def baselines(service: BotService, items: list[GoldItem]) -> dict[str, BaselineRetriever]:
    encoder = service.queries.encoder
    return {kb: BaselineRetriever(load_documents(service.kbs[kb].folder), encoder) for kb in sorted({i.kb for i in items})}


def evaluate(service: BotService, items: list[GoldItem], split: str, progress: bool = True) -> dict:
    answerable = [item for item in items if item.answerable]
    unanswerable = [item for item in items if not item.answerable]
    peers = baselines(service, answerable)
    rows, latencies, flags, peer_flags = [], [], [], []
    for item in tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress or not sys.stderr.isatty()):
        row, elapsed_ms = decision_row(service, item, item.kb)  # timed first: later searches leave the query vector cached
        rows.append(row)
        latencies.append(elapsed_ms)
        if item.answerable:
            flags.append(retrieval_flags(service, item))
            peer_flags.append([baseline_answers(p, item) for p in peers[item.kb].search(item.question, DEPTH)])
    no_kb_rows = [decision_row(service, item, None)[0] for item in unanswerable]
    retrieval = {name: grouped([f[name] for f in flags], answerable, summarize) for name in SETTINGS}
    retrieval[BASELINE] = grouped(peer_flags, answerable, summarize)
    table = reliability(rows)
    return {
        "meta": meta(service, items, split),
        "retrieval": retrieval,
        "answers": grouped(rows, items, answer_scores),
        "unanswerable_answered_no_kb": answer_scores(no_kb_rows)["unanswerable_answered"] if no_kb_rows else 0.0,
        "handoff": handoff_scores(rows),
        "sweep": threshold_sweep(rows, SWEEP),
        "reliability": table,
        "ece": expected_calibration_error(table),
        "ece_by_chance": ece_by_chance(rows),
        "latency_ms": {"p50": statistics.median(latencies) if latencies else 0.0, "p95": percentile(latencies, 0.95)},
    }


def meta(service: BotService, items: list[GoldItem], split: str) -> dict:
    settings = service.settings
    return {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": machine(),
        "split": split,
        "questions": len(items),
        "answerable": sum(1 for i in items if i.answerable),
        "unanswerable": sum(1 for i in items if not i.answerable),
        "index_versions": {kb: reader.version for kb, reader in sorted(service.readers.items())},
        "model": settings.embed_model,
        "fusion": (
            f"{settings.fusion.value} (BM25 {settings.sparse_weight}, dense {settings.dense_weight}, "
            f"question BM25 {settings.question_sparse_weight}, characters {settings.char_weight}, question characters {settings.question_char_weight}); "
            f"decision {'re-ranks' if service.decision.rerank else 'keeps the fused order'}"
        ),
        "answer_threshold": {
            p: settings.answer_threshold if settings.answer_threshold is not None else service.decision.answer_threshold_for(p) for p in PERSONAS
        },
        "suggest_threshold": settings.suggest_threshold if settings.suggest_threshold is not None else service.decision.suggest_threshold,
        "decision": {"weights": {k: round(v, 4) for k, v in service.decision.weights().items()}, "fitted": service.decision.fitted},
    }
