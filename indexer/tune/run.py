"""`kefu tune` end to end: the kbs' pairs, the base model's held-out figures, training, the weight
average, and the tuned model published into `<data_dir>/models/<name>/` with its card.

Everything is written inside `models/.tuning-<name>/` first; one rename puts the finished model in
place, so a tune killed or failing at any point leaves no model folder (the next tune removes the
leftover). Tunes are serialised by a lock file, like builds. A model folder is never replaced:
indexes and embedding caches know a model by its folder, and would silently hold another model's
vectors.
"""

import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from indexer.build import build_lock, chunk_documents, load_documents
from indexer.chunk import Chunk
from indexer.embed import Progress, no_progress
from indexer.embed_cache import model_slug
from indexer.tune.average import average_with_base, snapshot
from indexer.tune.card import licence_of, write_card
from indexer.tune.heldout import check_held_out, held_out_checks
from indexer.tune.pairs import HEADING, TuneData, tune_data
from indexer.tune.train import TrainOptions, TrainResult, train
from indexer.versions import fsync_tree
from kefu.errors import TuneRefused
from kefu.kbs import find_kb, list_kbs
from kefu.model import Encoder
from kefu.settings import ONNX_FOLDER, Settings, models_root, onnx_root

WORK_PREFIX = ".tuning-"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
Note = Callable[[str], None]


@dataclass(frozen=True)
class TuneOptions:
    kb: str | None = None  # tune on this kb alone; None: every kb
    exclude: tuple[str, ...] = ()  # kbs left out entirely (passages and questions)
    name: str | None = None  # the model folder's name; None: <base>-tuned-<time>
    held_out_fraction: float = 0.1
    train: TrainOptions = field(default_factory=TrainOptions)


@dataclass(frozen=True)
class TuneResult:
    path: Path
    card: dict


def chosen_kbs(settings: Settings, kb: str | None, exclude: tuple[str, ...]) -> list[str]:
    if kb and exclude:
        raise TuneRefused("--kb 与 --exclude-kb 不能同用 / --kb and --exclude-kb cannot be used together")
    for named in [kb, *exclude]:
        if named:
            find_kb(settings, named)  # UnknownKb, naming it
    names = [kb] if kb else [known.id for known in list_kbs(settings) if known.id not in exclude]
    if not names:
        raise TuneRefused(f"{settings.kb_dir}: 没有可调优的知识库 / no knowledge base left to tune on")
    return names


def model_name(settings: Settings, name: str | None) -> str:
    if name is None:
        return f"{model_slug(Path(settings.embed_model).name)}-tuned-{datetime.now(timezone.utc):%Y%m%dT%H%M%S}"
    if not _NAME.match(name):
        raise TuneRefused(
            f"模型名无效 {name!r} / invalid model name: letters, digits, '.', '_' and '-', starting with a letter or digit, at most 100 characters"
        )
    return name


def refuse_taken(final: Path, settings: Settings) -> Path:
    if final in (onnx_root(settings), models_root(settings) / ONNX_FOLDER):  # the default one too: onnx_dir may change
        raise TuneRefused(f"{final}: 这是 ONNX 查询模型的目录 / that is the ONNX query models' folder: choose another --out")
    if final.exists():
        raise TuneRefused(f"{final}: 已存在 / already exists; a model folder is never replaced (indexes know a model by its folder): choose another --out")
    return final


def read_passages(settings: Settings, kbs: list[str]) -> dict[str, list[Chunk]]:
    return {kb: chunk_documents(load_documents(find_kb(settings, kb).folder), settings, kb) for kb in kbs}


def check_data(data: TuneData, kbs: list[str]) -> None:
    if not data.held_out or not any(pair.source != HEADING for pair in data.pairs):
        raise TuneRefused(
            f"{', '.join(kbs)}: 没有足够的问法可调优 / no questions to tune on: a kb needs at least two associated questions "
            "(`> 问法：…` lines under its passages, or faq.md entries), one to train on and one to check with"
        )


def tune_model(settings: Settings, options: TuneOptions, progress: Progress = no_progress, note: Note = lambda text: None) -> TuneResult:
    """Tune settings.embed_model on the chosen kbs and publish it as `models/<name>/`."""
    kbs = chosen_kbs(settings, options.kb, options.exclude)
    name = model_name(settings, options.name)
    root = models_root(settings)
    final = refuse_taken(root / name, settings)
    data = tune_data(read_passages(settings, kbs), options.held_out_fraction, options.train.seed)
    check_data(data, kbs)
    encoder = Encoder(settings)
    with build_lock(root):
        refuse_taken(final, settings)  # again: another tune may have published it while this one waited
        for stale in root.glob(WORK_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)
        work = root / (WORK_PREFIX + name)
        try:
            work.mkdir()
            card = {"name": name, **tune_into(work, encoder, settings, data, options, progress, note)}
            publish(work / "model", final, card)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return TuneResult(final, card)


def tune_into(work: Path, encoder: Encoder, settings: Settings, data: TuneData, options: TuneOptions, progress: Progress, note: Note) -> dict:
    """Train, average and save the model into work/model; returns the card's content."""
    started, cpu_started = time.perf_counter(), time.process_time()
    model, checks = encoder.model, held_out_checks(data)
    before = check_held_out(model, checks)
    note(f"held-out before: R@1 {before['r@1']:.3f}, MRR@10 {before['mrr@10']:.3f} ({before['questions']} questions)")
    base = snapshot(model)
    trained, history = train(
        model, data.pairs, checks, options.train, work / "checkpoints", progress,
        on_result=lambda r: note(f"held-out at step {r['step']}: R@1 {r['r@1']:.3f}, MRR@10 {r['mrr@10']:.3f}"),
    )
    weight, grid = average_with_base(model, base, lambda m: check_held_out(m, checks))
    after = next(row for row in grid if row["weight"] == weight)
    note(f"held-out after (tuned share {weight}): R@1 {after['r@1']:.3f}, MRR@10 {after['mrr@10']:.3f}")
    progress("save", 0, 1)
    model.save(str(work / "model"), create_model_card=False)
    seconds = {"seconds": round(time.perf_counter() - started, 1), "cpu_seconds": round(time.process_time() - cpu_started, 1)}
    return card_content(encoder, settings, data, options, trained, history, before, weight, grid, seconds)


def card_content(encoder: Encoder, settings: Settings, data: TuneData, options: TuneOptions, trained: TrainResult,
                 history: list[dict], before: dict, weight: float, grid: list[dict], seconds: dict) -> dict:
    import torch

    after = next(row for row in grid if row["weight"] == weight)
    return {
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "base_model": settings.embed_model,
        "base_model_path": str(encoder.path),
        "licence": licence_of(settings.embed_model, encoder.path),
        "data": {"hash": data.data_hash(), "per_kb": data.counts(), "pairs": len(data.pairs),
                 "held_out_fraction": options.held_out_fraction, "excluded_kbs": list(options.exclude)},
        "training": {
            **asdict(options.train), "loss": "MultipleNegativesRankingLoss", "batch_sampler": "no_duplicates",
            "steps": trained.steps, "steps_run": trained.steps_run, "best_step": trained.best_step,
            "evaluations": history, "train_seconds": round(trained.seconds, 1), **seconds, "torch_threads": torch.get_num_threads(),
        },
        "held_out": {"before": before, "after": {key: value for key, value in after.items() if key != "weight"}},
        "averaging": {"tuned_weight": weight, "grid": [{k: row[k] for k in ("weight", "r@1", "mrr@10")} for row in grid]},
    }


def publish(folder: Path, final: Path, card: dict) -> None:
    """The card into the saved model, everything flushed, then one rename into place."""
    write_card(folder, card)
    fsync_tree(folder)
    os.replace(folder, final)
    descriptor = os.open(final.parent, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
