"""Embeddings cached by text hash, so an edit re-embeds only the chunks it changed.

The cache is a folder per model: `keys.json` (text hashes, in row order) and `vectors.npy`.
It is rewritten whole through a temporary folder, so a killed build leaves the old cache.
"""

import hashlib
import json
import os
import re
import shutil
from pathlib import Path

import numpy as np


def text_key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def model_slug(model_name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", model_name).strip("_")[-80:] or "model"


class EmbeddingCache:
    def __init__(self, folder: Path, dimension: int):
        self.folder = folder
        self.dimension = dimension
        self._rows: dict[str, np.ndarray] = {}
        self._load()

    def _load(self) -> None:
        keys_path, vectors_path = self.folder / "keys.json", self.folder / "vectors.npy"
        if not (keys_path.is_file() and vectors_path.is_file()):
            return
        try:
            keys = json.loads(keys_path.read_text(encoding="utf-8"))
            vectors = np.load(vectors_path, allow_pickle=False)
        except (OSError, ValueError):
            return  # a damaged cache only costs re-embedding
        if vectors.ndim == 2 and vectors.shape == (len(keys), self.dimension):
            # A row that is not finite (NaN, inf: a broken write or model) is dropped, so it is embedded again.
            finite = np.isfinite(vectors).all(axis=1)
            self._rows = {key: row for key, row, ok in zip(keys, vectors, finite) if ok}

    def lookup(self, keys: list[str]) -> dict[str, np.ndarray]:
        return {key: self._rows[key] for key in keys if key in self._rows}

    def save(self, fresh: dict[str, np.ndarray], keep: set[str]) -> None:
        """Store the fresh vectors; keep only rows some chunk still uses (keep) plus the fresh."""
        rows = {key: vec for key, vec in self._rows.items() if key in keep}
        rows.update(fresh)
        self._rows = rows
        tmp = self.folder.with_name(self.folder.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        keys = list(rows)
        matrix = np.stack([rows[k] for k in keys]) if keys else np.zeros((0, self.dimension), np.float32)
        np.save(tmp / "vectors.npy", matrix.astype(np.float32), allow_pickle=False)
        (tmp / "keys.json").write_text(json.dumps(keys), encoding="utf-8")
        old = self.folder.with_name(self.folder.name + ".old")
        shutil.rmtree(old, ignore_errors=True)
        if self.folder.exists():
            os.replace(self.folder, old)
        os.replace(tmp, self.folder)
        shutil.rmtree(old, ignore_errors=True)
