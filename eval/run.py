"""`kefu eval`: retrieval, answers, handoff, calibration and latency on the same questions,
with the peer baseline, in one run."""

import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

from tqdm import tqdm

from bot.retrieve.search import RetrievalMode
from bot.service import BotService
from eval.baseline import BaselineRetriever, baseline_answers
from eval.handoff import Row, expected_calibration_error, handoff_scores, reliability, threshold_sweep
from eval.metrics import percentile, summarize
from indexer.load import KbDocument
from kefu.gold import GoldItem, answers, holds_key_phrase
from kefu.vocab import Band, HandoffReason, Persona

DEPTH = 10
FORCING = {HandoffReason.urgent, HandoffReason.user_request, HandoffReason.out_of_scope}
SWEEP = [round(0.20 + 0.05 * i, 2) for i in range(11)]


def quotes_key_phrase(quotes: list[str], item: GoldItem) -> bool:
    return holds_key_phrase("".join(quotes), item)


def judge(service: BotService, item: GoldItem) -> tuple[Row, float, dict[str, list[bool]]]:
    """One question through retrieval (each mode) and the bot's decision (timed)."""
    searcher = service.reader.searcher
    # Timed first: the retrieval modes below would leave the query's vector in the cache.
    started = time.perf_counter()
    outcome = service.decide(item.question, Persona(item.persona), 0)
    elapsed_ms = (time.perf_counter() - started) * 1000
    flags = {}
    if item.answerable:
        flags = {mode.value: [answers(h.chunk, item) for h in searcher.search(item.question, DEPTH, mode)] for mode in RetrievalMode}
    quotes = outcome.composed.quotes if outcome.composed else []
    row = Row(
        answerable=item.answerable,
        top_correct=bool(outcome.hits) and answers(outcome.hits[0].chunk, item),
        quote_correct=item.answerable and bool(quotes) and quotes_key_phrase(quotes, item),
        confidence=outcome.score,
        forced=outcome.reason in FORCING,
        handed_off=outcome.band != Band.answer,
    )
    return row, elapsed_ms, flags


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


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def evaluate(service: BotService, documents: list[KbDocument], items: list[GoldItem], split: str, progress: bool = True) -> dict:
    rows, latencies, per_mode = [], [], {mode.value: [] for mode in RetrievalMode}
    baseline = BaselineRetriever(documents, service.reader.searcher.queries.encoder)
    baseline_flags = []
    for item in tqdm(items, desc="eval", unit="q", file=sys.stderr, disable=not progress):
        row, elapsed_ms, flags = judge(service, item)
        rows.append(row)
        latencies.append(elapsed_ms)
        for mode, mode_flags in flags.items():
            per_mode[mode].append(mode_flags)
        if item.answerable:
            baseline_flags.append([baseline_answers(p, item) for p in baseline.search(item.question, DEPTH)])
    table = reliability(rows)
    manifest = service.reader.searcher.index.manifest
    settings = service.settings
    return {
        "meta": {
            "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
            "machine": machine(),
            "split": split,
            "questions": len(items),
            "answerable": sum(1 for i in items if i.answerable),
            "unanswerable": sum(1 for i in items if not i.answerable),
            "index_version": manifest["version"],
            "model": manifest["model"],
            "fusion": f"{settings.fusion.value} (dense {settings.dense_weight}, BM25 {settings.sparse_weight})",
            "answer_threshold": settings.answer_threshold,
            "suggest_threshold": settings.suggest_threshold,
        },
        "retrieval": {
            **{mode: summarize(flags) for mode, flags in per_mode.items()},
            "baseline (250-char chunks, dense only)": summarize(baseline_flags),
        },
        "answers": answer_scores(rows),
        "handoff": handoff_scores(rows),
        "sweep": threshold_sweep(rows, SWEEP),
        "reliability": table,
        "ece": expected_calibration_error(table),
        "latency_ms": {"p50": statistics.median(latencies) if latencies else 0.0, "p95": percentile(latencies, 0.95)},
    }
