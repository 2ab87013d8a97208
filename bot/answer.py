"""Extractive answers: the sentences of the top passages that best answer the question,
quoted verbatim with [n] markers that point at their citations. Nothing else is policy text:
the only words the bot adds are the frame (根据《…》:) and the column names of a phrase table.
"""

import re
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum

import numpy as np

from bot.retrieve.search import Hit
from indexer.chunk import PATH_SEPARATOR
from indexer.embed import Encoder
from indexer.textnorm import Tokenizer, fold_for_search, sentence_spans

MAX_CITATIONS = 3
SENTENCE_SLACK = 0.08  # a further sentence is quoted when it scores this close to the best
TIME_LIMIT = re.compile(r"\d+(?:\.\d+)?\s*(?:个)?(?:小时|分钟|天|日|个工作日|秒|声|周|月)(?:内|以内)?")
PHRASE_COLUMNS = ("应对用语", "避免用语", "应说", "不可以说")


class Persona(str, Enum):
    customer = "customer"
    agent = "agent"


@dataclass(frozen=True)
class Quote:
    text: str  # verbatim from the passage
    hit: Hit
    score: float


@dataclass(frozen=True)
class Citation:
    id: str
    doc: str
    title: str
    section: str
    text: str
    score: float
    date: str | None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("id", "doc", "title", "section", "text", "score", "date")}


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    citations: list[Citation]
    quotes: list[str]


class SentenceScorer:
    """Scores a passage's sentences against a question: dense cosine and IDF-weighted word
    overlap. Sentence vectors are cached, since the same passages come up again and again."""

    def __init__(self, encoder: Encoder, tokenizer: Tokenizer, idf: dict[str, float], cache_size: int = 4096):
        self.encoder, self.tokenizer, self.idf = encoder, tokenizer, idf
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size

    def _vectors_for(self, sentences: list[str]) -> np.ndarray:
        missing = [s for s in dict.fromkeys(sentences) if s not in self._vectors]
        for sentence, vector in zip(missing, self.encoder.encode([fold_for_search(s) for s in missing])):
            self._vectors[sentence] = vector
        for sentence in sentences:
            self._vectors.move_to_end(sentence)
        while len(self._vectors) > self._cache_size:
            self._vectors.popitem(last=False)
        return np.stack([self._vectors[s] for s in sentences])

    def overlap(self, question_tokens: set[str], sentence: str) -> float:
        if not question_tokens:
            return 0.0
        found = question_tokens & set(self.tokenizer.tokenize(sentence))
        return sum(self.idf.get(t, 1.0) for t in found) / sum(self.idf.get(t, 1.0) for t in question_tokens)

    def score(self, question: str, question_vector: np.ndarray, sentences: list[str]) -> list[float]:
        if not sentences:
            return []
        cosines = self._vectors_for(sentences) @ question_vector
        tokens = set(self.tokenizer.tokenize(question))
        return [0.5 * float(c) + 0.5 * self.overlap(tokens, s) for c, s in zip(cosines, sentences)]


def passage_units(hit: Hit) -> list[str]:
    """What may be quoted from a passage: its sentences, or a whole phrase-table row."""
    text = hit.chunk.text
    if hit.chunk.kind == "table_row":
        return [text]
    return [line[a:b] for line in text.split("\n") for a, b in sentence_spans(line)]


def select_quotes(question: str, question_vector: np.ndarray, hits: list[Hit], scorer: SentenceScorer) -> list[Quote]:
    """The best sentence overall, plus near-equals from the top passages, at most one
    quote per passage and MAX_CITATIONS in all, best first."""
    candidates = [(unit, hit) for hit in hits[:MAX_CITATIONS] for unit in passage_units(hit)]
    scores = scorer.score(question, question_vector, [unit for unit, _ in candidates])
    best_per_hit: dict[str, Quote] = {}
    for (unit, hit), score in zip(candidates, scores):
        bonus = 0.05 if hit is hits[0] else 0.0
        current = best_per_hit.get(hit.chunk.id)
        if current is None or score + bonus > current.score:
            best_per_hit[hit.chunk.id] = Quote(unit, hit, score + bonus)
    ranked = sorted(best_per_hit.values(), key=lambda q: -q.score)
    if not ranked:
        return []
    return [q for q in ranked if q.score >= ranked[0].score - SENTENCE_SLACK][:MAX_CITATIONS]


def table_row_lines(text: str) -> list[str]:
    """A phrase-table row as 'column: cell' lines, columns side by side for an agent."""
    header, _, row = text.partition("\n")
    columns = [c.strip() for c in header.split("|")]
    cells = [c.strip() for c in row.split("|")]
    return [f"{col}:{cell}" for col, cell in zip(columns, cells) if cell]


def frame(quote: Quote, number: int, persona: Persona) -> str:
    chunk = quote.hit.chunk
    heading = chunk.section.split(PATH_SEPARATOR)[-1]
    if chunk.kind == "table_row":
        body = "\n".join(table_row_lines(quote.text))
        return f"根据《{chunk.title}》“{heading}”:\n{body} [{number}]"
    if persona == Persona.agent:
        return f"{quote.text} [{number}]({chunk.title} › {heading})"
    return f"根据《{chunk.title}》“{heading}”:{quote.text} [{number}]"


def time_limits(quotes: list[Quote]) -> list[str]:
    return list(dict.fromkeys(m.group(0) for q in quotes for m in TIME_LIMIT.finditer(q.text)))


def citation_for(hit: Hit, dates: dict[str, str | None]) -> Citation:
    chunk = hit.chunk
    return Citation(chunk.id, chunk.doc, chunk.title, chunk.section, chunk.text, round(hit.score, 6), dates.get(chunk.doc))


def compose_faq_answer(hit: Hit, dates: dict[str, str | None]) -> ComposedAnswer:
    """An approved editor answer, quoted whole with its editor-written mark."""
    return ComposedAnswer(f"{hit.chunk.text} [1]", [citation_for(hit, dates)], [hit.chunk.text])


def compose_answer(question: str, question_vector: np.ndarray, hits: list[Hit], persona: Persona, scorer: SentenceScorer, dates: dict[str, str | None]) -> ComposedAnswer:
    quotes = select_quotes(question, question_vector, hits, scorer)
    if persona == Persona.customer:
        quotes = quotes[:2]
    lines = [frame(q, n, persona) for n, q in enumerate(quotes, start=1)]
    limits = time_limits(quotes)
    if persona == Persona.agent and limits:
        lines.insert(1, "时限:" + " / ".join(limits))
    citations = [citation_for(q.hit, dates) for q in quotes]
    return ComposedAnswer("\n".join(lines), citations, [q.text for q in quotes])
