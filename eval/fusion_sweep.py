"""Choose the fusion method and weights on the gold set's dev half (never the test half).

    .venv/bin/python -m eval.fusion_sweep [--split dev] [--dataset bq|atec|lcqmc]

prints one Markdown row per setting, with BM25-only and dense-only as reference rows.
`--dataset` runs the same grid on a public FAQ set instead, to show what the choice made on
the gold dev half costs or gains there; those sets are never used to choose.
"""

import argparse
import itertools

from bot.retrieve.search import RetrievalMode
from bot.retrieve.service import open_searcher
from eval.faq_bench import DATASETS, faq_flags, faq_setup
from eval.gold import load_gold
from eval.metrics import summarize
from eval.retrieval import relevance_flags
from indexer.settings import FusionMethod, load_settings

GRID = {
    FusionMethod.rrf: {"dense_weight": (0.35, 0.5, 1.0, 2.0), "rrf_k": (5, 20, 60)},
    FusionMethod.score: {"dense_weight": (0.35, 0.5, 0.7, 1.0, 1.5, 2.0), "rrf_k": (60,)},
}
METRICS = ("R@1", "R@3", "R@5", "MRR@10", "nDCG@10")


def row(label: str, scores: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{scores[m]:.3f}" for m in METRICS) + " |"


def gold_case(split: str):
    searcher = open_searcher(load_settings())
    items = [item for item in load_gold(split=split) if item.answerable]
    return searcher, f"gold {split}, {len(items)} questions", lambda trial, mode: [relevance_flags(trial, i, mode) for i in items]


def faq_case(dataset: str):
    settings = load_settings()
    searcher, queries, vectors = faq_setup(settings, settings.datasets_dir, dataset)
    return searcher, f"{dataset}, {len(queries)} queries", lambda trial, mode: [faq_flags(trial, q, a, v, mode) for (q, a), v in zip(queries, vectors)]


def sweep(searcher, label: str, flags) -> list[str]:
    lines = [f"| setting ({label}) | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    for mode in (RetrievalMode.sparse, RetrievalMode.dense):
        lines.append(row(f"{mode.value} only", summarize(flags(searcher, mode))))
    for method, grid in GRID.items():
        for weight, k in itertools.product(grid["dense_weight"], grid["rrf_k"]):
            settings = searcher.settings.model_copy(update={"fusion": method, "dense_weight": weight, "sparse_weight": 1.0, "rrf_k": k})
            trial = type(searcher)(searcher.index, searcher.encoder, searcher.tokenizer, settings)
            setting = f"{method.value}, dense weight {weight}" + (f", k={k}" if method == FusionMethod.rrf else "")
            lines.append(row(setting, summarize(flags(trial, RetrievalMode.hybrid))))
    return lines


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=("dev", "test", "all"))
    parser.add_argument("--dataset", choices=tuple(DATASETS), help="sweep a public FAQ set instead of the gold set (to compare, never to choose)")
    args = parser.parse_args()
    print("\n".join(sweep(*(faq_case(args.dataset) if args.dataset else gold_case(args.split)))))
