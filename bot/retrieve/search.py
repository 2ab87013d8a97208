"""Hybrid search: the query normalised once, BM25 and dense candidates, fused."""

from dataclasses import dataclass
from enum import Enum

from bot.retrieve.dense import search_dense
from bot.retrieve.fuse import rrf, score_fusion, top
from bot.retrieve.index import LoadedIndex
from bot.retrieve.sparse import search_sparse
from indexer.chunk import Chunk
from indexer.embed import Encoder
from indexer.settings import FusionMethod, Settings
from indexer.textnorm import Tokenizer, fold_for_search


class RetrievalMode(str, Enum):
    hybrid = "hybrid"
    sparse = "sparse"
    dense = "dense"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # what the ranking used: fused score, or the single retriever's score
    dense_score: float | None  # cosine, when the chunk was among the dense candidates
    sparse_score: float | None  # BM25, when the chunk shared tokens with the query
    dense_rank: int | None = None  # 1-based rank among the dense candidates
    sparse_rank: int | None = None  # 1-based rank among the BM25 candidates
    row: int = -1  # the chunk's row in the index


def ranks(scores: dict[int, float]) -> dict[int, int]:
    return {doc: rank for rank, (doc, _) in enumerate(top(scores, len(scores)), start=1)}


class Searcher:
    """Reads one LoadedIndex; the encoder and tokenizer are loaded once and shared."""

    def __init__(self, index: LoadedIndex, encoder: Encoder, tokenizer: Tokenizer, settings: Settings):
        self.index = index
        self.encoder = encoder
        self.tokenizer = tokenizer
        self.settings = settings

    def with_index(self, index: LoadedIndex) -> "Searcher":
        return Searcher(index, self.encoder, self.tokenizer, self.settings)

    def search(self, query: str, k: int = 5, mode: RetrievalMode = RetrievalMode.hybrid, query_vector=None, query_tokens=None) -> list[Hit]:
        """Top k chunks; pass `query_vector` / `query_tokens` when the caller already has them."""
        n = self.settings.candidates
        sparse = dense = {}
        if mode != RetrievalMode.dense:
            tokens = self.tokenizer.tokenize(query) if query_tokens is None else query_tokens
            sparse = search_sparse(self.index.sparse, tokens, n)
        if mode != RetrievalMode.sparse:
            vector = self.encode_query(query) if query_vector is None else query_vector
            dense = search_dense(self.index.dense, self.index.unit_owner, vector, n)
        ranked = top(self.fuse(sparse, dense, mode), k)
        dense_ranks, sparse_ranks = ranks(dense), ranks(sparse)
        chunks = self.index.chunks
        return [
            Hit(chunks[i], score, dense.get(i), sparse.get(i), dense_ranks.get(i), sparse_ranks.get(i), i)
            for i, score in ranked
        ]

    def encode_query(self, query: str):
        return self.encoder.encode_query(fold_for_search(query))

    def fuse(self, sparse: dict[int, float], dense: dict[int, float], mode: RetrievalMode) -> dict[int, float]:
        if mode == RetrievalMode.sparse:
            return sparse
        if mode == RetrievalMode.dense:
            return dense
        weights = (self.settings.sparse_weight, self.settings.dense_weight)
        if self.settings.fusion == FusionMethod.score:
            return score_fusion([sparse, dense], weights)
        rankings = [list(ranks(scores)) for scores in (sparse, dense)]
        return rrf(rankings, weights, self.settings.rrf_k)
