"""Fine-tuning itself: sentence-transformers' trainer with MultipleNegativesRankingLoss (every other
passage in the batch is a negative), batches without duplicate texts (so without a duplicate
passage: a passage has one text), evaluated on the held-out questions a few times an epoch,
stopped when they stop improving, and ending on the best evaluation's weights.
"""

import math
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from datasets import Dataset
from sentence_transformers.base.sampler import BatchSamplers
from sentence_transformers.sentence_transformer.evaluation import SentenceEvaluator
from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss
from sentence_transformers.sentence_transformer.trainer import SentenceTransformerTrainer
from sentence_transformers.sentence_transformer.training_args import SentenceTransformerTrainingArguments
from transformers import EarlyStoppingCallback, PrinterCallback, TrainerCallback
from transformers.utils import logging as hf_logging

from indexer.embed import Progress
from indexer.tune.heldout import KbCheck, check_held_out
from indexer.tune.pairs import Pair

PRIMARY = "mrr@10"


@dataclass(frozen=True)
class TrainOptions:
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 3e-5
    warmup_ratio: float = 0.1
    evals_per_epoch: int = 2
    patience: int = 2  # evaluations without improvement before stopping
    # Passages are cut to this many tokens while training only (a batch is padded to its longest
    # text: 14 % of passages are longer, and they made a step twice as slow); checks use full length.
    max_tokens: int = 128
    seed: int = 0


@dataclass(frozen=True)
class TrainResult:
    steps: int  # planned
    steps_run: int
    best_step: int | None
    seconds: float


@contextmanager
def max_tokens(model, tokens: int):
    saved = model.max_seq_length
    model.max_seq_length = tokens
    try:
        yield
    finally:
        model.max_seq_length = saved


class HeldOutEvaluator(SentenceEvaluator):
    """check_held_out for the trainer, at the model's full length: its evaluations, early stop and best checkpoint."""

    def __init__(self, checks: list[KbCheck], full_tokens: int, on_result: Callable[[dict], None]):
        super().__init__()
        self.checks, self.full_tokens, self.on_result = checks, full_tokens, on_result
        self.primary_metric = PRIMARY
        self.history: list[dict] = []

    def __call__(self, model, output_path=None, epoch: float = -1, steps: int = -1) -> dict:
        with max_tokens(model, self.full_tokens):
            result = check_held_out(model, self.checks)
        self.history.append({"epoch": round(epoch, 3), "step": steps, "r@1": result["r@1"], PRIMARY: result[PRIMARY]})
        self.on_result(self.history[-1])
        return {"r@1": result["r@1"], PRIMARY: result[PRIMARY]}


class Trainer(SentenceTransformerTrainer):
    """The trainer without its automatic model card (kefu writes its own, indexer.tune.card)."""

    def add_model_card_callback(self, default_args_dict: dict) -> None:
        pass


class ReportSteps(TrainerCallback):
    """Training progress in the build's form (stage, done, total); the trainer's own bar and log lines are off."""

    def __init__(self, progress: Progress):
        self.progress = progress

    def on_step_end(self, args, state, control, **kwargs):
        self.progress("train", state.global_step, state.max_steps)


def steps_per_epoch(pairs: int, batch_size: int) -> int:
    return max(1, math.ceil(pairs / batch_size))


def training_arguments(work: Path, pairs: int, options: TrainOptions) -> SentenceTransformerTrainingArguments:
    """Evaluate and checkpoint together (the trainer loads the best checkpoint at the end), model weights only."""
    eval_steps = max(1, steps_per_epoch(pairs, options.batch_size) // options.evals_per_epoch)
    return SentenceTransformerTrainingArguments(
        output_dir=str(work), num_train_epochs=options.epochs, per_device_train_batch_size=options.batch_size,
        learning_rate=options.learning_rate, warmup_steps=options.warmup_ratio, seed=options.seed, data_seed=options.seed,
        batch_sampler=BatchSamplers.NO_DUPLICATES, eval_strategy="steps", eval_steps=eval_steps,
        save_strategy="steps", save_steps=eval_steps, save_total_limit=1, save_only_model=True,
        load_best_model_at_end=True, metric_for_best_model=f"eval_{PRIMARY}", greater_is_better=True,
        logging_strategy="no", report_to="none", use_cpu=True, dataloader_num_workers=0, disable_tqdm=True,
    )


def best_step(checkpoint: str | None) -> int | None:
    return int(checkpoint.rsplit("-", 1)[1]) if checkpoint else None


def train(model, pairs: list[Pair], checks: list[KbCheck], options: TrainOptions, work: Path, progress: Progress,
          on_result: Callable[[dict], None]) -> tuple[TrainResult, list[dict]]:
    """Train `model` in place on the pairs; it ends holding the weights of its best held-out
    evaluation. Checkpoints go to `work` (the caller's temporary folder). Returns the run and
    every held-out evaluation made during it."""
    hf_logging.set_verbosity_error()
    started = time.perf_counter()
    evaluator = HeldOutEvaluator(checks, model.max_seq_length, on_result)
    dataset = Dataset.from_dict({"anchor": [p.anchor for p in pairs], "positive": [p.positive for p in pairs]})
    with max_tokens(model, options.max_tokens):
        trainer = Trainer(
            model=model, args=training_arguments(work, len(pairs), options), train_dataset=dataset,
            loss=MultipleNegativesRankingLoss(model), evaluator=evaluator,
            callbacks=[EarlyStoppingCallback(early_stopping_patience=options.patience), ReportSteps(progress)],
        )
        trainer.remove_callback(PrinterCallback)  # it prints every evaluation's metrics to stdout
        trainer.train()
    state = trainer.state
    result = TrainResult(state.max_steps, state.global_step, best_step(state.best_model_checkpoint), time.perf_counter() - started)
    return result, evaluator.history
