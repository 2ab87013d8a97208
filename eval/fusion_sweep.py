"""Choose the fusion method and weights on the gold set's dev half (never the test half).

    .venv/bin/python -m eval.fusion_sweep [--split dev]

prints one Markdown row per setting, with BM25-only and dense-only as reference rows.
"""

import argparse
import itertools

from bot.retrieve.search import RetrievalMode
from bot.retrieve.service import open_searcher
from eval.gold import load_gold
from eval.metrics import summarize
from eval.retrieval import relevance_flags
from indexer.settings import FusionMethod, load_settings

GRID = {
    FusionMethod.rrf: {"dense_weight": (0.35, 0.5, 1.0), "rrf_k": (5, 20, 60)},
    FusionMethod.score: {"dense_weight": (0.35, 0.5, 0.7, 1.0), "rrf_k": (60,)},
}
METRICS = ("R@1", "R@3", "R@5", "MRR@10", "nDCG@10")


def row(label: str, scores: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{scores[m]:.3f}" for m in METRICS) + " |"


def sweep(split: str) -> list[str]:
    searcher = open_searcher(load_settings())
    items = [item for item in load_gold(split=split) if item.answerable]
    lines = [f"| setting ({split}, {len(items)} questions) | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    for mode in (RetrievalMode.sparse, RetrievalMode.dense):
        lines.append(row(f"{mode.value} only", summarize([relevance_flags(searcher, i, mode) for i in items])))
    for method, grid in GRID.items():
        for weight, k in itertools.product(grid["dense_weight"], grid["rrf_k"]):
            settings = searcher.settings.model_copy(update={"fusion": method, "dense_weight": weight, "sparse_weight": 1.0, "rrf_k": k})
            trial = type(searcher)(searcher.index, searcher.encoder, searcher.tokenizer, settings)
            label = f"{method.value}, dense weight {weight}" + (f", k={k}" if method == FusionMethod.rrf else "")
            lines.append(row(label, summarize([relevance_flags(trial, i, RetrievalMode.hybrid) for i in items])))
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    print("\n".join(sweep(parser.parse_args().split)))
