"""Hybrid search: the query normalised once, BM25 and dense candidates, fused."""

from dataclasses import dataclass
from enum import Enum

from bot.retrieve.dense import search_dense
from bot.retrieve.fuse import rrf, score_fusion, top
from bot.retrieve.index import LoadedIndex
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.sparse import search_sparse
from indexer.chunk import Chunk
from kefu.settings import FusionMethod, Settings
from kefu.text.tokenize import Tokenizer


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


@dataclass(frozen=True)
class Fusion:
    method: FusionMethod
    dense_weight: float
    sparse_weight: float
    rrf_k: int


def passage_fusion(settings: Settings) -> Fusion:
    return Fusion(settings.fusion, settings.dense_weight, settings.sparse_weight, settings.rrf_k)


def question_fusion(settings: Settings) -> Fusion:
    return Fusion(settings.faq_fusion, settings.faq_dense_weight, settings.faq_sparse_weight, settings.rrf_k)


def fuse(sparse: dict[int, float], dense: dict[int, float], mode: RetrievalMode, fusion: Fusion) -> dict[int, float]:
    if mode == RetrievalMode.sparse:
        return sparse
    if mode == RetrievalMode.dense:
        return dense
    weights = (fusion.sparse_weight, fusion.dense_weight)
    if fusion.method == FusionMethod.score:
        return score_fusion([sparse, dense], weights)
    rankings = [list(ranks(scores)) for scores in (sparse, dense)]
    return rrf(rankings, weights, fusion.rrf_k)


def ranked_hits(chunks: list[Chunk], sparse: dict[int, float], dense: dict[int, float], mode: RetrievalMode, fusion: Fusion, k: int) -> list[Hit]:
    ranked = top(fuse(sparse, dense, mode, fusion), k)
    dense_ranks, sparse_ranks = ranks(dense), ranks(sparse)
    return [
        Hit(chunks[i], score, dense.get(i), sparse.get(i), dense_ranks.get(i), sparse_ranks.get(i), i)
        for i, score in ranked
    ]


def without(scores: dict[int, float], exclude: frozenset[int], n: int) -> dict[int, float]:
    """The best n candidates not in `exclude`."""
    return dict(top({row: s for row, s in scores.items() if row not in exclude}, n))


def promote_entries(passages: list[Hit], entries: list[Hit], min_cosine: float, k: int) -> list[Hit]:
    """FAQ entries whose question is as close as a paraphrase go first: an editor's answer to
    the very question asked beats a passage that merely shares its words."""
    promoted = [hit for hit in entries if hit.dense_score is not None and hit.dense_score >= min_cosine]
    taken = {hit.row for hit in promoted}
    return (promoted + [hit for hit in passages if hit.row not in taken])[:k]


class Searcher:
    """Reads one LoadedIndex; the query encoder and tokenizer are loaded once and shared."""

    def __init__(self, index: LoadedIndex, queries: QueryEncoder, tokenizer: Tokenizer, settings: Settings):
        self.index = index
        self.queries = queries
        self.tokenizer = tokenizer
        self.settings = settings

    def search(self, query: str, k: int = 5, mode: RetrievalMode = RetrievalMode.hybrid, query_vector=None, query_tokens=None) -> list[Hit]:
        """Top k chunks, FAQ entries whose question matches first (FAQ mode); pass `query_vector`
        / `query_tokens` when the caller already has them."""
        tokens, vector = self.features(query, mode, query_vector, query_tokens)
        index = self.index
        passages = self.rank(index.sparse, None, index.dense, index.unit_owner, tokens, vector, mode, passage_fusion(self.settings), k)
        if index.questions is None or mode == RetrievalMode.sparse:
            return passages
        entries = self.match_questions(query, k, mode, vector, tokens)
        return promote_entries(passages, entries, self.settings.faq_min_cosine, k)

    def match_questions(self, query: str, k: int = 5, mode: RetrievalMode = RetrievalMode.hybrid, query_vector=None, query_tokens=None, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """FAQ mode: the top k FAQ entries by how well their question matches `query`; a hit's
        scores are those of the entry's question, not of its answer. Chunk rows in `exclude` are
        no candidates at all (a benchmark's self-match)."""
        questions = self.index.questions
        if questions is None:
            return []
        tokens, vector = self.features(query, mode, query_vector, query_tokens)
        return self.rank(questions.sparse, questions.rows, questions.dense, questions.rows, tokens, vector, mode, question_fusion(self.settings), k, exclude)

    def features(self, query: str, mode: RetrievalMode, query_vector, query_tokens):
        """(BM25 tokens, query vector), each None when the mode does not use it."""
        tokens = vector = None
        if mode != RetrievalMode.dense:
            tokens = self.tokenizer.tokenize(query) if query_tokens is None else query_tokens
        if mode != RetrievalMode.sparse:
            vector = self.encode_query(query) if query_vector is None else query_vector
        return tokens, vector

    def rank(self, sparse_index, sparse_rows, dense_index, dense_owner, tokens, vector, mode: RetrievalMode, fusion: Fusion, k: int, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """Fused top k chunk rows; `sparse_rows` / `dense_owner` map the two indexes' rows to chunk rows.
        Rows in `exclude` are dropped before fusion, since min-max scaling would otherwise
        measure every other candidate against them."""
        n = self.settings.candidates
        sparse = {} if tokens is None else search_sparse(sparse_index, tokens, n + len(exclude))
        if sparse_rows is not None:
            sparse = {int(sparse_rows[i]): score for i, score in sparse.items()}
        dense = {} if vector is None else search_dense(dense_index, dense_owner, vector, n + len(exclude))
        if exclude:
            sparse, dense = without(sparse, exclude, n), without(dense, exclude, n)
        return ranked_hits(self.index.chunks, sparse, dense, mode, fusion, k)

    def encode_query(self, query: str):
        return self.queries.encode(query)
