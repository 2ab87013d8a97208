"""Choose the fusion of the three channels on the gold set's dev half (never the test half).

    .venv/bin/python -m eval.fusion_sweep [--split dev]

Each answerable dev question is asked in its own kb; one Markdown row per setting: each
channel alone, then weighted score fusion (BM25 over passages weighted 1) over a grid of the
dense, question-BM25 and the two character-BM25 weights, then reciprocal-rank fusion at the best
score-fusion weights. (Fusion only: the decision model re-ranks its top ten afterwards.)
The rule: best R@1, ties broken by MRR@10. The chosen weights are the settings' defaults
(KEFU_DENSE_WEIGHT, KEFU_QUESTION_SPARSE_WEIGHT, KEFU_CHAR_WEIGHT, KEFU_QUESTION_CHAR_WEIGHT).
"""

import argparse
import itertools

from bot.assemble import open_bot
from bot.decision import neutral_model
from bot.retrieve.search import Fusion, RetrievalMode
from eval.metrics import summarize
from eval.run import DEPTH
from kefu.gold import SPLITS, answers, gold_file, load_gold
from kefu.settings import FusionMethod, load_settings
from kefu.text.colloquial import spoken_to_written

GRID = {"dense": (2.0, 4.0, 6.0), "question_sparse": (0.5, 1.0), "chars": (0.0, 2.0, 4.0), "question_chars": (0.0, 2.0, 4.0, 6.0, 8.0)}
METRICS = ("R@1", "R@3", "R@5", "MRR@10", "nDCG@10")


def row(label: str, scores: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{scores[m]:.3f}" for m in METRICS) + " |"


def flags_for(service, items, fusion: Fusion) -> dict[str, float]:
    flags = []
    for item in items:
        searcher = service.searcher(service.readers_for(item.kb))
        hits = searcher.rank(spoken_to_written(item.question), DEPTH, RetrievalMode.hybrid, fusion)
        flags.append([answers(hit.chunk, item) for hit in hits])
    return summarize(flags)


def sweep(split: str) -> list[str]:
    settings = load_settings()
    service = open_bot(settings, store=False, decision=neutral_model()).service
    items = [item for item in load_gold(gold_file(settings), split) if item.answerable]
    lines = [f"| setting (gold {split}, {len(items)} questions, each in its kb) | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    alone = {
        "BM25 over passages only": ({"sparse": 1.0}, True), "dense over sentences only": ({"dense": 1.0}, False),
        "dense over sentences and questions (best of) only": ({"dense": 1.0}, True), "BM25 over questions only": ({"question_sparse": 1.0}, True),
        "BM25 over characters only": ({"chars": 1.0}, True),
        "BM25 over questions' characters only": ({"question_chars": 1.0}, True),
    }
    for label, (weights, questions) in alone.items():
        lines.append(row(label, flags_for(service, items, Fusion(FusionMethod.score, weights, settings.rrf_k, questions))))
    best = None
    for dense, question_sparse, chars, question_chars in itertools.product(*GRID.values()):
        weights = {"sparse": 1.0, "dense": dense, "question_sparse": question_sparse, "chars": chars, "question_chars": question_chars}
        scores = flags_for(service, items, Fusion(FusionMethod.score, weights, settings.rrf_k))
        lines.append(row(f"score, dense {dense}, question BM25 {question_sparse}, characters {chars}, question characters {question_chars}", scores))
        if best is None or (scores["R@1"], scores["MRR@10"]) > (best[0]["R@1"], best[0]["MRR@10"]):
            best = (scores, weights)
    for k in (5, 20, 60):
        lines.append(row(f"rrf k={k} at the best score weights", flags_for(service, items, Fusion(FusionMethod.rrf, best[1], k))))
    return lines + ["", f"best by R@1 then MRR@10: {best[1]}"]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=SPLITS)
    print("\n".join(sweep(parser.parse_args().split)))
