"""The ONNX query model's tokenizer: the model folder's tokenizer.json run by the `tokenizers`
library, which needs neither torch nor transformers (transformers' AutoTokenizer imports torch, and
torch with the float32 model is most of a worker's memory). A folder with no tokenizer.json falls
back to transformers' tokenizer. Either gives the features sentence-transformers' preprocess gives
the transformer: special tokens, truncation to max_length (special tokens included), padding to
the batch's longest text on the tokenizer's side, as int64 numpy arrays.
"""

import json
import threading
from pathlib import Path

import numpy as np

# The transformer's inputs, and the `tokenizers` Encoding field each one is.
FIELDS = {"input_ids": "ids", "attention_mask": "attention_mask", "token_type_ids": "type_ids"}


def tokenizer_config(folder: Path) -> dict:
    """The folder's tokenizer_config.json (pad token, padding side), {} if it has none."""
    try:
        return json.loads((folder / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def special_token(value, default: str) -> str:
    """A special token as tokenizer_config writes it: a string, or a dict with its `content`."""
    return value.get("content", default) if isinstance(value, dict) else (value or default)


class JsonTokenizer:
    """tokenizer.json with truncation and padding set once. Encoding only reads the Rust tokenizer
    then, so threads share it without a lock (transformers re-sets both on every call)."""

    def __init__(self, folder: Path, max_length: int):
        from tokenizers import Tokenizer

        config = tokenizer_config(folder)
        pad_token = special_token(config.get("pad_token"), "[PAD]")
        self._tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self._tokenizer.enable_truncation(max_length, strategy="longest_first")
        self._tokenizer.enable_padding(direction=config.get("padding_side", "right"), pad_id=self._tokenizer.token_to_id(pad_token), pad_token=pad_token)

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        encodings = self._tokenizer.encode_batch(texts)
        return {name: np.array([getattr(e, field) for e in encodings], dtype=np.int64) for name, field in FIELDS.items()}


class TransformersTokenizer:
    """transformers' tokenizer of the folder, for a model shipped without tokenizer.json. It sets
    truncation and padding on its Rust tokenizer at every call: not safe to share across threads."""

    def __init__(self, folder: Path, max_length: int):
        from transformers import AutoTokenizer

        self._tokenizer = AutoTokenizer.from_pretrained(str(folder), local_files_only=True)
        self._max_length = max_length
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> dict[str, np.ndarray]:
        with self._lock:
            features = self._tokenizer(texts, padding=True, truncation="longest_first", max_length=self._max_length, return_tensors="np")
        return {name: np.asarray(features[name], dtype=np.int64) for name in FIELDS if name in features}


QueryTokenizer = JsonTokenizer | TransformersTokenizer


def open_query_tokenizer(folder: Path, max_length: int) -> QueryTokenizer:
    if (folder / "tokenizer.json").is_file():
        return JsonTokenizer(folder, max_length)
    return TransformersTokenizer(folder, max_length)
