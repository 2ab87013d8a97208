"""Hybrid search over one knowledge base or several: the query encoded and tokenised once,
candidates from BM25 over the passages, BM25 over their associated questions, and dense search
over both, fused into one ranking.

A passage is found by its best match: its dense score is the higher of its best sentence's
cosine and its best associated question's, so a passage nobody has written questions for yet
(a manual just uploaded) still competes on the same scale; the question BM25 channel scores a
passage by its best-matching question. Several indexes (an agent asking with no kb) are fused
as one candidate pool, so their passages compete on the same scale too.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import numpy as np

from bot.retrieve.dense import search_dense, search_dense_units
from bot.retrieve.fuse import rrf, score_fusion, top
from bot.retrieve.index import LoadedIndex
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.sparse import search_sparse
from indexer.chunk import Chunk
from kefu.settings import FusionMethod, Settings
from kefu.text.tokenize import Tokenizer, char_ngrams

Key = tuple[int, int]  # (index number in the searcher, chunk row in that index)
QUESTIONS_PER_PASSAGE = 8  # questions fetched per wanted passage, so n distinct passages come back
# "dense" is the best of a passage's sentences and questions; "question_dense" (its questions
# alone) is FAQ matching's, a question against questions.
CHANNELS = ("sparse", "dense", "question_sparse", "question_dense", "chars", "question_chars")


class RetrievalMode(str, Enum):
    hybrid = "hybrid"
    sparse = "sparse"
    dense = "dense"


@dataclass(frozen=True)
class Hit:
    chunk: Chunk
    score: float  # what the ranking used: fused score, or the single retriever's score
    dense_score: float | None  # best sentence cosine, when the chunk was among the dense candidates
    sparse_score: float | None  # BM25, when the chunk shared tokens with the query
    dense_rank: int | None = None  # 1-based rank among the dense candidates
    sparse_rank: int | None = None  # 1-based rank among the BM25 candidates
    row: int = -1  # the chunk's row in its kb's index
    question_score: float | None = None  # cosine of its best-matching associated question
    question: str | None = None  # that question
    sentence_score: float | None = None  # cosine of its best sentence (dense_score is the higher of the two)
    question_sparse_score: float | None = None  # BM25 of its best-matching associated question
    char_score: float | None = None  # BM25 over characters
    question_char_score: float | None = None  # the same over its best-matching associated question

    @property
    def kb(self) -> str:
        return self.chunk.kb


@dataclass(frozen=True)
class Fusion:
    method: FusionMethod
    weights: dict[str, float]  # per channel; a channel weighted 0 is not searched
    rrf_k: int
    questions: bool = True  # whether "dense" takes the associated questions into account


def passage_fusion(settings: Settings, questions: bool = True) -> Fusion:
    """The fusion of the settings; `questions=False` leaves the associated questions out (ablation)."""
    weights = {
        "sparse": settings.sparse_weight, "dense": settings.dense_weight,
        "question_sparse": settings.question_sparse_weight if questions else 0.0, "chars": settings.char_weight,
        "question_chars": settings.question_char_weight if questions else 0.0,
    }
    return Fusion(settings.fusion, weights, settings.rrf_k, questions)


def question_fusion(settings: Settings) -> Fusion:
    """The questions alone: FAQ matching (a question against questions), dense and BM25."""
    weights = {"question_dense": settings.dense_weight, "question_sparse": settings.question_sparse_weight}
    return Fusion(settings.fusion, weights, settings.rrf_k, True)


def ranks(scores: dict) -> dict:
    return {key: rank for rank, (key, _) in enumerate(top(scores, len(scores)), start=1)}


def mode_weights(fusion: Fusion, mode: RetrievalMode) -> dict[str, float]:
    """The channels a mode uses: sparse only the BM25 ones, dense only the dense ones."""
    keep = {RetrievalMode.hybrid: CHANNELS, RetrievalMode.sparse: ("sparse", "question_sparse", "chars", "question_chars"), RetrievalMode.dense: ("dense", "question_dense")}[mode]
    return {channel: weight for channel, weight in fusion.weights.items() if channel in keep and weight > 0}


def fuse(channels: dict[str, dict], weights: dict[str, float], fusion: Fusion) -> dict:
    if len(weights) == 1:  # one retriever alone ranks by its own score
        return channels[next(iter(weights))]
    names = list(weights)
    if fusion.method == FusionMethod.score:
        return score_fusion([channels[name] for name in names], [weights[name] for name in names])
    return rrf([list(ranks(channels[name])) for name in names], [weights[name] for name in names], fusion.rrf_k)


def best_per_owner(scores: dict[int, float], owners: np.ndarray) -> dict[int, tuple[float, int]]:
    """Question-row scores to chunk rows: each chunk's best question (score, question row)."""
    best: dict[int, tuple[float, int]] = {}
    for question_row, score in sorted(scores.items(), key=lambda item: -item[1]):
        best.setdefault(int(owners[question_row]), (score, question_row))
    return best


def best_of(first: dict, second: dict) -> dict:
    """Each key's higher score of the two."""
    return {key: max(first.get(key, float("-inf")), second.get(key, float("-inf"))) for key in first.keys() | second.keys()}


def without(scores: dict, exclude: frozenset, n: int) -> dict:
    """The best n candidates not in `exclude`."""
    return dict(top({key: s for key, s in scores.items() if key not in exclude}, n))


class Searcher:
    """Reads one or several LoadedIndexes (one per kb); the query encoder and tokenizer are
    loaded once and shared."""

    def __init__(self, indexes: LoadedIndex | Sequence[LoadedIndex], queries: QueryEncoder, tokenizer: Tokenizer, settings: Settings):
        self.indexes = [indexes] if isinstance(indexes, LoadedIndex) else list(indexes)
        self.queries = queries
        self.tokenizer = tokenizer
        self.settings = settings

    @property
    def index(self) -> LoadedIndex:
        """The index of a one-kb searcher."""
        if len(self.indexes) != 1:
            raise ValueError(f"this searcher reads {len(self.indexes)} indexes; use .indexes")
        return self.indexes[0]

    def search(self, query: str, k: int = 5, mode: RetrievalMode = RetrievalMode.hybrid, query_vector=None, query_tokens=None, questions: bool = True) -> list[Hit]:
        """Top k passages; pass `query_vector` / `query_tokens` when the caller already has them,
        `questions=False` to leave the associated questions out."""
        return self.rank(query, k, mode, passage_fusion(self.settings, questions), query_vector, query_tokens)

    def match_questions(self, query: str, k: int = 5, mode: RetrievalMode = RetrievalMode.hybrid, query_vector=None, query_tokens=None, exclude: frozenset[int] = frozenset()) -> list[Hit]:
        """Passages ranked by their associated questions alone (FAQ matching). Chunk rows in
        `exclude` (of a one-kb searcher) are no candidates at all: a benchmark's self-match."""
        return self.rank(query, k, mode, question_fusion(self.settings), query_vector, query_tokens, frozenset((0, row) for row in exclude))

    def rank(self, query: str, k: int, mode: RetrievalMode, fusion: Fusion, query_vector=None, query_tokens=None, exclude: frozenset[Key] = frozenset()) -> list[Hit]:
        return self.rank_and_vector(query, k, mode, fusion, query_vector, query_tokens, exclude)[0]

    def rank_and_vector(self, query: str, k: int, mode: RetrievalMode, fusion: Fusion, query_vector=None, query_tokens=None, exclude: frozenset[Key] = frozenset()) -> tuple[list[Hit], np.ndarray | None]:
        """The top k hits, and the query's vector (None when the mode searched no dense channel)."""
        weights = mode_weights(fusion, mode)
        needs_tokens = any(c.endswith("sparse") for c in weights)
        needs_vector = any(c.endswith("dense") for c in weights)
        n = self.settings.candidates + len(exclude)
        # The query is encoded and the dense indexes searched on the encoder's threads (numpy,
        # ONNX Runtime and FAISS let go of the GIL) while this thread tokenises and searches BM25.
        dense = self.queries.beside(self.dense_candidates, query, query_vector, weights, fusion.questions, n) if needs_vector else None
        tokens = (self.tokenizer.tokenize(query) if query_tokens is None else query_tokens) if needs_tokens else None
        # Searched even at weight 0 (left out of fusion): the decision model reads its scores.
        chars = char_ngrams(query) if {"chars", "question_chars"} & set(fusion.weights) and mode != RetrievalMode.dense else None
        channels = self.sparse_candidates(tokens, weights, fusion.questions, n, chars)
        vector, best_questions = None, {}
        if dense is not None:
            found, best_questions, vector = dense.result()
            channels.update(found)
        if exclude:
            channels = {name: without(scores, exclude, self.settings.candidates) for name, scores in channels.items()}
        fused = fuse(channels, weights, fusion) if weights else {}
        return self.hits(top(fused, k), channels, best_questions), vector

    def candidates(self, tokens, vector, weights: dict[str, float], questions: bool, extra: int, chars=None) -> tuple[dict[str, dict], dict]:
        """Each channel's candidates keyed (index number, chunk row); "sentence" holds the
        sentences' cosines alone; and for each chunk found by its questions, its best question
        (cosine, text)."""
        n = self.settings.candidates + extra
        channels = self.sparse_candidates(tokens, weights, questions, n, chars)
        best_questions: dict[Key, tuple[float, str]] = {}
        if vector is not None:
            found, best_questions, _ = self.dense_candidates(None, vector, weights, questions, n)
            channels.update(found)
        return channels, best_questions

    def sparse_candidates(self, tokens, weights: dict[str, float], questions: bool, n: int, chars=None) -> dict[str, dict]:
        """The BM25 channels' candidates (words, characters; passages and their questions), every other channel empty."""
        channels: dict[str, dict] = {name: {} for name in (*CHANNELS, "sentence")}
        for i, index in enumerate(self.indexes):
            if "sparse" in weights:
                channels["sparse"].update({(i, row): s for row, s in search_sparse(index.sparse, tokens, n).items()})
            if chars and index.chars is not None:
                channels["chars"].update({(i, row): s for row, s in search_sparse(index.chars, chars, n).items()})
            if index.questions is None:
                continue
            if chars and questions:
                found = best_per_owner(search_sparse(index.questions.chars, chars, n * QUESTIONS_PER_PASSAGE), index.questions.rows)
                channels["question_chars"].update({(i, row): score for row, (score, _) in list(found.items())[:n]})
            if "question_sparse" in weights:
                found = best_per_owner(search_sparse(index.questions.sparse, tokens, n * QUESTIONS_PER_PASSAGE), index.questions.rows)
                channels["question_sparse"].update({(i, row): score for row, (score, _) in list(found.items())[:n]})
        return channels

    def dense_candidates(self, query: str | None, vector, weights: dict[str, float], questions: bool, n: int) -> tuple[dict[str, dict], dict, np.ndarray]:
        """The dense channels' candidates ("sentence", "question_dense", and "dense", the better of
        the two when `questions`), each chunk's best question (cosine, text), and the query's
        vector: `vector`, or `query` encoded when it is None."""
        vector = self.encode_query(query) if vector is None else vector
        channels: dict[str, dict] = {"sentence": {}, "question_dense": {}}
        best_questions: dict[Key, tuple[float, str]] = {}
        wants_questions = "question_dense" in weights or ("dense" in weights and questions)
        for i, index in enumerate(self.indexes):
            if "dense" in weights:
                channels["sentence"].update({(i, row): s for row, s in search_dense(index.dense, index.unit_owner, vector, n).items()})
            if index.questions is None or not wants_questions:
                continue
            found = search_dense_units(index.questions.dense, index.questions.rows, vector, n, QUESTIONS_PER_PASSAGE)
            channels["question_dense"].update({(i, row): score for row, (score, _) in found.items()})
            best_questions.update({(i, row): (score, question_text(index, q)) for row, (score, q) in found.items()})
        channels["dense"] = best_of(channels["sentence"], channels["question_dense"] if questions else {})
        return channels, best_questions, vector

    def hits(self, ranked: list[tuple[Key, float]], channels: dict[str, dict], best_questions: dict) -> list[Hit]:
        dense = channels["dense"] or channels["question_dense"]
        dense_ranks, sparse_ranks = ranks(dense), ranks(channels["sparse"])
        out = []
        for key, score in ranked:
            i, row = key
            cosine, question = best_questions.get(key, (None, None))
            out.append(Hit(self.indexes[i].chunks[row], score, dense.get(key), channels["sparse"].get(key),
                           dense_ranks.get(key), sparse_ranks.get(key), row, cosine, question, channels["sentence"].get(key),
                           channels["question_sparse"].get(key), channels["chars"].get(key), channels["question_chars"].get(key)))
        return out

    def index_of(self, hit: Hit) -> LoadedIndex:
        return next(index for index in self.indexes if index.kb == hit.kb)

    def encode_query(self, query: str):
        return self.queries.encode(query)


def question_text(index: LoadedIndex, question_row: int) -> str:
    """The text of an associated question, from its passage (questions are stored on their chunk)."""
    row = int(index.questions.rows[question_row])
    first = int(np.searchsorted(index.questions.rows, row))
    return index.chunks[row].questions[question_row - first]
