"""`kefu tune`: fine-tune the embedding model on the knowledge bases' own questions."""

from typing import Annotated, Optional

import typer

from kefu.cli.base import KbOption, err, fail, print_json, settings_of
from kefu.cli.kb import build_progress
from kefu.errors import KefuError


def tune_cmd(
    ctx: typer.Context,
    kb: KbOption = None,
    exclude_kb: Annotated[Optional[list[str]], typer.Option("--exclude-kb", help="Leave this kb out entirely, passages and questions (repeatable): a model for a company it has never seen.")] = None,
    epochs: Annotated[int, typer.Option(min=1, max=50, help="Most passes over the pairs; it stops earlier when the held-out questions stop improving.")] = 2,
    batch_size: Annotated[int, typer.Option(min=2, max=512, help="Pairs per batch: each question's negatives are the batch's other passages.")] = 32,
    seed: Annotated[int, typer.Option(help="Seed of the held-out split, the batches and the training.")] = 0,
    out: Annotated[Optional[str], typer.Option("--out", help="The model folder's name under <data_dir>/models/ (default: <base>-tuned-<UTC time>; not onnx, the ONNX exports' folder).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the model card as JSON.")] = False,
):
    """Fine-tune the embedding model (KEFU_EMBED_MODEL) on the kbs' associated questions, FAQ questions and headings.

    A tenth of each kb's questions is held out to stop on and to choose the average with the base
    model by (the gold set is never used). The model and its card (README.md, card.json) go to
    <data_dir>/models/NAME/, written whole or not at all. Use it with KEFU_EMBED_MODEL=<that folder>
    and a re-index. A model tuned from m3e-small carries its research/non-commercial licence."""
    from indexer.tune.run import TuneOptions, tune_model
    from indexer.tune.train import TrainOptions

    options = TuneOptions(kb=kb, exclude=tuple(exclude_kb or ()), name=out, train=TrainOptions(epochs=epochs, batch_size=batch_size, seed=seed))
    try:
        result = tune_model(settings_of(ctx), options, progress=build_progress(tenths_from=10), note=lambda text: err.print(f"[dim]{text}[/dim]", highlight=False))
    except (KefuError, OSError) as exc:
        fail(exc)
    if as_json:
        print_json(result.card)
        return
    held = result.card["held_out"]
    typer.echo(
        f"{result.path}: held-out R@1 {held['before']['r@1']:.3f} → {held['after']['r@1']:.3f}, "
        f"MRR@10 {held['before']['mrr@10']:.3f} → {held['after']['mrr@10']:.3f} "
        f"(tuned share {result.card['averaging']['tuned_weight']}, {result.card['training']['seconds']:.0f} s)"
    )
    typer.echo(f"licence: {result.card['licence']}")
    typer.echo(f"use it: KEFU_EMBED_MODEL={result.path} kefu index")


def register(app: typer.Typer) -> None:
    app.command("tune")(tune_cmd)
