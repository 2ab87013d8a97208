"""Choose fusion methods and weights on the gold set's dev half (never the test half).

    .venv/bin/python -m eval.fusion_sweep [--split dev]            # passages: KEFU_FUSION, KEFU_DENSE_WEIGHT
    .venv/bin/python -m eval.fusion_sweep --faq gold [--split dev] # FAQ mode: KEFU_FAQ_FUSION, KEFU_FAQ_DENSE_WEIGHT
    .venv/bin/python -m eval.fusion_sweep --faq bq|atec|lcqmc      # FAQ mode on a public set: to compare only

prints one Markdown row per setting, with BM25-only and dense-only as reference rows. The
passage sweep matches gold questions against the manuals; the FAQ sweep matches each gold
item's paraphrases against all gold questions (FAQ entries), through `Searcher.match_questions`.
The public sets show what a choice made on the gold dev half costs or gains there; they are
never used to choose. `--faq gold` also prints how often an FAQ entry would be ranked above
the passages at each KEFU_FAQ_MIN_COSINE.
"""

import argparse
import itertools

from bot.assemble import open_searcher
from bot.retrieve.search import RetrievalMode
from eval.faq_bench import DATASETS, GOLD, faq_flags, faq_setup, promotion_table
from eval.metrics import summarize
from eval.run import DEPTH
from kefu.gold import SPLITS, answers, gold_file, load_gold
from kefu.settings import FusionMethod, load_settings

GRID = {
    FusionMethod.rrf: {"dense_weight": (0.35, 0.5, 1.0, 2.0, 5.0), "rrf_k": (5, 20, 60)},
    FusionMethod.score: {"dense_weight": (0.35, 0.5, 0.7, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 20.0), "rrf_k": (60,)},
}
MIN_COSINES = (0.85, 0.87, 0.89, 0.90, 0.91, 0.92, 0.93)
METRICS = ("R@1", "R@3", "R@5", "MRR@10", "nDCG@10")
PASSAGE_FIELDS = ("fusion", "dense_weight", "sparse_weight")
FAQ_FIELDS = ("faq_fusion", "faq_dense_weight", "faq_sparse_weight")


def relevance_flags(searcher, item, mode: RetrievalMode) -> list[bool]:
    return [answers(hit.chunk, item) for hit in searcher.search(item.question, DEPTH, mode)]


def row(label: str, scores: dict[str, float]) -> str:
    return f"| {label} | " + " | ".join(f"{scores[m]:.3f}" for m in METRICS) + " |"


def gold_case(split: str):
    settings = load_settings()
    searcher = open_searcher(settings)
    items = [item for item in load_gold(gold_file(settings), split) if item.answerable]
    return searcher, f"gold {split}, {len(items)} questions", lambda trial, mode: [relevance_flags(trial, i, mode) for i in items], PASSAGE_FIELDS, []


def faq_case(dataset: str, split: str):
    settings = load_settings()
    searcher, queries, vectors = faq_setup(settings, settings.datasets_dir, dataset, split=split)
    label = f"FAQ mode, {dataset} {split}" if dataset == GOLD else f"FAQ mode, {dataset}"

    def flags(trial, mode):
        return [faq_flags(trial, q, v, mode) for q, v in zip(queries, vectors)]

    extra = promotion_table(searcher, queries, vectors, MIN_COSINES) if dataset == GOLD else []
    return searcher, f"{label}, {len(queries)} queries", flags, FAQ_FIELDS, extra


def sweep(searcher, label: str, flags, fields: tuple[str, str, str], extra: list[str]) -> list[str]:
    method_field, dense_field, sparse_field = fields
    lines = [f"| setting ({label}) | " + " | ".join(METRICS) + " |", "|---" * (len(METRICS) + 1) + "|"]
    for mode in (RetrievalMode.sparse, RetrievalMode.dense):
        lines.append(row(f"{mode.value} only", summarize(flags(searcher, mode))))
    for method, grid in GRID.items():
        for weight, k in itertools.product(grid["dense_weight"], grid["rrf_k"]):
            update = {method_field: method, dense_field: weight, sparse_field: 1.0, "rrf_k": k}
            trial = type(searcher)(searcher.index, searcher.queries, searcher.tokenizer, searcher.settings.model_copy(update=update))
            setting = f"{method.value}, dense weight {weight}" + (f", k={k}" if method == FusionMethod.rrf else "")
            lines.append(row(setting, summarize(flags(trial, RetrievalMode.hybrid))))
    return lines + ([""] + extra if extra else [])


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="dev", choices=SPLITS)
    parser.add_argument("--faq", choices=(GOLD, *DATASETS), help="sweep FAQ mode on the gold paraphrases or a public set (public: to compare, never to choose)")
    args = parser.parse_args()
    print("\n".join(sweep(*(faq_case(args.faq, args.split) if args.faq else gold_case(args.split)))))
