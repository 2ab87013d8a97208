"""The held-out check of a tune: each held-out question searched, dense only, against every
passage of its kb as the dense index holds it (one vector per sentence under its heading, a
passage scoring by its best sentence); Recall@1 and MRR@10 over all held-out questions.

It is what the trainer stops on and what the weight average is chosen by, so the after-tuning
figures it gives are a selection's, not an unseen test's (docs/evaluation.md says so). The model
is anything with sentence-transformers' `encode`.
"""

from dataclasses import dataclass

import numpy as np

# One definition of the metrics: eval.metrics is plain functions on ranked flags (it imports nothing).
from eval.metrics import mean, mrr_at, recall_at
from indexer.build import unit_texts
from indexer.tune.pairs import TuneData

DEPTH = 10


@dataclass(frozen=True)
class KbCheck:
    """One kb's held-out questions and what they are searched against."""

    kb: str
    units: list[str]  # every unit of every passage, folded, passage by passage
    starts: np.ndarray  # index of each passage's first unit
    queries: list[str]
    relevant: list[frozenset[int]]  # per query, the positions of its passages


def held_out_checks(data: TuneData) -> list[KbCheck]:
    checks = []
    for kb, chunks in data.passages.items():
        items = [item for item in data.held_out if item.kb == kb]
        if not items:
            continue
        position = {chunk.id: i for i, chunk in enumerate(chunks)}
        starts = np.cumsum([0] + [len(chunk.unit_index_texts()) for chunk in chunks[:-1]])
        relevant = [frozenset(position[cid] for cid in item.passages) for item in items]
        checks.append(KbCheck(kb, unit_texts(chunks), starts, [item.question for item in items], relevant))
    return checks


def ranked_flags(query_vectors: np.ndarray, unit_vectors: np.ndarray, starts: np.ndarray, relevant: list[frozenset[int]]) -> list[list[bool]]:
    """Per query, whether each of its top DEPTH passages (by best-unit cosine) is one it belongs to."""
    passage_scores = np.maximum.reduceat(query_vectors @ unit_vectors.T, starts, axis=1)
    top = np.argsort(-passage_scores, axis=1, kind="stable")[:, :DEPTH]
    return [[int(p) in wanted for p in row] for row, wanted in zip(top, relevant)]


def summary(flags: list[list[bool]]) -> dict:
    return {"questions": len(flags), "r@1": round(mean([recall_at(f, 1) for f in flags]), 4), "mrr@10": round(mean([mrr_at(f, DEPTH) for f in flags]), 4)}


def encode(model, texts: list[str], batch_size: int) -> np.ndarray:
    return model.encode(texts, batch_size=batch_size, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def check_held_out(model, checks: list[KbCheck], batch_size: int = 64) -> dict:
    """Overall and per-kb Recall@1 and MRR@10 of the model on the held-out questions."""
    model.eval()  # the trainer leaves it in training mode, dropout on
    by_kb, every = {}, []
    for check in checks:
        flags = ranked_flags(encode(model, check.queries, batch_size), encode(model, check.units, batch_size), check.starts, check.relevant)
        by_kb[check.kb] = summary(flags)
        every += flags
    return {**summary(every), "per_kb": by_kb}
