"""The model card written into a tuned model's folder: card.json for programs, README.md for people.
It says what the model was tuned from and on, how it did on the held-out questions before and
after, the weight average chosen, and the licence it carries."""

import json
from pathlib import Path

CARD_JSON = "card.json"
CARD_README = "README.md"
M3E_LICENCE = (
    "仅限研究与非商业用途 / research and non-commercial use only: this model is a derivative of m3e-small "
    "(fine-tuned and weight-averaged with it) and carries m3e's licence, which allows research use and no commercial use."
)


def licence_of(base_model: str, base_path: Path) -> str:
    """m3e's licence for m3e-small; a tuned base's own licence line; else the base's, unnamed."""
    if base_model == "m3e-small":
        return M3E_LICENCE
    try:
        return json.loads((base_path / CARD_JSON).read_text(encoding="utf-8"))["licence"]
    except (OSError, ValueError, KeyError, TypeError):
        return f"a derivative of {base_model}: it carries that model's licence; check it before any use, commercial use above all."


def metric_row(label: str, figures: dict) -> str:
    return f"| {label} | {figures['r@1']:.3f} | {figures['mrr@10']:.3f} |"


def training_summary(training: dict) -> str:
    best = training["best_step"]
    return (
        f"{training['loss']}, batches without duplicate passages ({training['batch_sampler']}), {training['batch_size']} pairs a batch, "
        f"learning rate {training['learning_rate']}, passages cut to {training['max_tokens']} tokens while training, seed {training['seed']}. "
        f"At most {training['epochs']} epoch{'s' if training['epochs'] != 1 else ''} ({training['steps']} steps); {training['steps_run']} run, the best at step {best}. "
        f"The whole tune took {training['seconds']:.0f} s ({training['cpu_seconds']:.0f} s of CPU, {training['torch_threads']} threads), "
        f"training {training['train_seconds']:.0f} s of it."
    )


def card_markdown(card: dict) -> str:
    """README.md of the model folder, from card.json's content."""
    held = card["held_out"]
    lines = [
        f"# {card['name']}", "",
        f"An embedding model fine-tuned by `kefu tune` on {card['created_at']} from **{card['base_model']}**, "
        "on the knowledge bases' own associated questions, FAQ questions and headings (never on the gold set).", "",
        "## Licence", "", f"**{card['licence']}**", "",
        "## Data", "", f"sha256 `{card['data']['hash']}`; excluded kbs: {', '.join(card['data']['excluded_kbs']) or 'none'}.", "",
        "| kb | passages | question pairs | FAQ pairs | heading pairs | held-out questions |", "|---|---|---|---|---|---|",
        *[f"| {kb} | {c['passages']} | {c['question']} | {c['faq']} | {c['heading']} | {c['held_out']} |" for kb, c in card["data"]["per_kb"].items()], "",
        "## Training", "", training_summary(card["training"]), "",
        "| step | epoch | held-out R@1 | MRR@10 |", "|---|---|---|---|",
        *[f"| {row['step']} | {row['epoch']} | {row['r@1']:.3f} | {row['mrr@10']:.3f} |" for row in card["training"]["evaluations"]], "",
        "## Held-out questions (dense only, each against every passage of its kb)", "",
        f"{held['before']['questions']} questions. The early stop and the weight average were chosen on these same "
        "questions, so the figures after tuning are a selection's, not an unseen test's.", "",
        "| model | R@1 | MRR@10 |", "|---|---|---|",
        metric_row(f"base ({card['base_model']})", held["before"]),
        *[metric_row(f"tuned share {row['weight']}", row) for row in card["averaging"]["grid"]],
        metric_row(f"**written** (tuned share {card['averaging']['tuned_weight']})", held["after"]), "",
        "Use it: `KEFU_EMBED_MODEL=<this folder> kefu index` (a re-index, through the quality gate).", "",
    ]
    return "\n".join(lines)


def write_card(folder: Path, card: dict) -> None:
    (folder / CARD_JSON).write_text(json.dumps(card, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    (folder / CARD_README).write_text(card_markdown(card), encoding="utf-8")
