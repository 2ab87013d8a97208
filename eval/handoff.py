"""Handoff quality and calibration, as pure functions over per-question rows.

A row is what one gold question produced: whether it is answerable, whether the bot's top
passage / quoted answer was correct, the confidence, and whether words alone (urgent,
user request, chatter) forced a handoff.
"""

from dataclasses import dataclass, replace
from random import Random


@dataclass(frozen=True)
class Row:
    answerable: bool
    top_correct: bool  # the top hybrid passage holds a key phrase
    quote_correct: bool  # the composed answer quotes a sentence holding a key phrase
    confidence: float
    forced: bool  # a word trigger handed off regardless of confidence
    handed_off: bool  # at the configured thresholds


def handoff_scores(rows: list[Row], handed_off=lambda r: r.handed_off) -> dict[str, float]:
    """Precision, recall and F1 of "hand off" against the unanswerable items, and the share
    of answerable items handed off (false handoffs)."""
    tp = sum(1 for r in rows if handed_off(r) and not r.answerable)
    fp = sum(1 for r in rows if handed_off(r) and r.answerable)
    fn = sum(1 for r in rows if not handed_off(r) and not r.answerable)
    answerable = sum(1 for r in rows if r.answerable)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "false_handoff_rate": fp / answerable if answerable else 0.0}


def threshold_sweep(rows: list[Row], thresholds: list[float]) -> list[dict[str, float]]:
    """Handoff scores if the bot answered at or above each threshold, plus how many of the
    answers it would give are right."""
    table = []
    for t in thresholds:
        scores = handoff_scores(rows, lambda r: r.forced or r.confidence < t)
        answered = [r for r in rows if not r.forced and r.confidence >= t]
        right = sum(1 for r in answered if r.answerable and r.top_correct)
        table.append({"threshold": t, **scores, "answered": len(answered), "answer_precision": right / len(answered) if answered else 0.0})
    return table


def reliability(rows: list[Row], bins: int = 10) -> list[dict[str, float]]:
    """Accuracy by confidence bin: how often an answer at that confidence would be right
    (an answerable question whose top passage is correct)."""
    table = []
    for b in range(bins):
        low, high = b / bins, (b + 1) / bins
        members = [r for r in rows if low <= r.confidence < high or (b == bins - 1 and r.confidence == 1.0)]
        if members:
            accuracy = sum(1 for r in members if r.answerable and r.top_correct) / len(members)
            mean_conf = sum(r.confidence for r in members) / len(members)
            table.append({"bin": f"{low:.1f}-{high:.1f}", "count": len(members), "mean_confidence": mean_conf, "accuracy": accuracy})
    return table


def expected_calibration_error(table: list[dict[str, float]]) -> float:
    total = sum(row["count"] for row in table)
    return sum(row["count"] / total * abs(row["accuracy"] - row["mean_confidence"]) for row in table) if total else 0.0


def ece_by_chance(rows: list[Row], draws: int = 2000, seed: int = 0) -> dict[str, float]:
    """The calibration error a perfectly calibrated model would show on these confidences from
    sampling alone: each draw makes every question right with probability its confidence. On a
    few hundred questions in ten bins that is several hundredths, so an ECE target near it
    cannot be told apart from luck."""
    rng = Random(seed)
    errors = sorted(
        expected_calibration_error(reliability([replace(r, answerable=True, top_correct=rng.random() < r.confidence) for r in rows]))
        for _ in range(draws)
    )
    return {"mean": sum(errors) / draws, "p95": errors[int(0.95 * (draws - 1))]} if rows else {"mean": 0.0, "p95": 0.0}
