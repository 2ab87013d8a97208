"""The peer baseline: the common Chinese RAG stack's default pipeline, run in the same
evaluation so the gain of structure-aware hybrid retrieval is measured, not assumed.

Fixed 250-character chunks with 50 characters of overlap (Langchain-Chatchat's defaults)
over each document's text, dense-only FAISS top-k with the same embedding model.
"""

from dataclasses import dataclass

import faiss
import numpy as np

from indexer.load import KbDocument
from indexer.markdown import parse_markdown
from kefu.gold import GoldItem, answers_from
from kefu.model import Encoder
from kefu.text.normalize import fold_for_search

CHUNK_SIZE, OVERLAP = 250, 50


def fixed_chunks(text: str, size: int = CHUNK_SIZE, overlap: int = OVERLAP) -> list[str]:
    if size <= overlap:
        raise ValueError(f"chunk size {size} must exceed the overlap {overlap}")
    step = size - overlap
    return [text[start:start + size] for start in range(0, max(len(text) - overlap, 1), step)]


@dataclass(frozen=True)
class BaselinePassage:
    doc: str
    text: str


class BaselineRetriever:
    def __init__(self, documents: list[KbDocument], encoder: Encoder):
        self.passages = [
            BaselinePassage(doc.doc_id, piece)
            for doc in documents
            for piece in fixed_chunks(parse_markdown(doc.markdown).body)
        ]
        self.encoder = encoder
        vectors = encoder.encode([fold_for_search(p.text) for p in self.passages])
        self.index = faiss.IndexFlatIP(vectors.shape[1])
        self.index.add(np.ascontiguousarray(vectors))

    def search(self, question: str, k: int) -> list[BaselinePassage]:
        vector = self.encoder.encode([fold_for_search(question)])
        _, ids = self.index.search(vector, min(k, len(self.passages)))
        return [self.passages[i] for i in ids[0] if i >= 0]


def baseline_answers(passage: BaselinePassage, item: GoldItem) -> bool:
    return answers_from(passage.doc, passage.text, item)
