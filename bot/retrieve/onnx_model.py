"""The query model on ONNX Runtime: the model's own tokenizer (bot.retrieve.query_tokenizer), one
InferenceSession over the export (bot.retrieve.onnx_export), then the mean pooling and L2
normalisation sentence-transformers applies. Shared by every thread: the session may be run
concurrently, the tokenizer guards itself. Neither touches the Encoder (nor torch), so a re-index
encoding documents does not hold queries up.
"""

from pathlib import Path

import numpy as np

from bot.retrieve.query_tokenizer import QueryTokenizer


def mean_pool(hidden: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """sentence-transformers' mean pooling (the average of the unpadded token embeddings), L2-normalised."""
    mask = attention_mask[..., None].astype(np.float32)
    pooled = (hidden * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
    return pooled / np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)


def open_session(model_file: Path, threads: int):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(model_file), options, providers=["CPUExecutionProvider"])


class OnnxQueryModel:
    def __init__(self, model_file: Path, tokenizer: QueryTokenizer, threads: int, int8: bool):
        self.int8 = int8  # an int8 export's vectors depend on the batch: one text per pass
        self.session = open_session(model_file, threads)
        self.inputs = [node.name for node in self.session.get_inputs()]
        self.tokenizer = tokenizer

    def tokenize(self, texts: list[str]) -> dict[str, np.ndarray]:
        """The features sentence-transformers' preprocess gives the transformer, as numpy."""
        features = self.tokenizer(texts)
        return {name: features[name] for name in self.inputs}

    def forward(self, texts: list[str]) -> np.ndarray:
        """One pass over `texts`: L2-normalised float32 rows."""
        features = self.tokenize(texts)
        hidden = self.session.run(None, features)[0]
        return mean_pool(hidden, features["attention_mask"]).astype(np.float32)
