"""Extractive answers: the sentences of the top passages that best answer the question,
quoted verbatim with [n] markers that point at their citations. Nothing else is policy text:
the only words the bot adds are the frame (根据《…》:) and the column names of a phrase table.
"""

import re
from dataclasses import dataclass

import numpy as np

from bot.answer_kind import asks_amount, states_amount
from bot.confidence import coverage
from bot.reader import Reader
from bot.retrieve.search import Hit
from indexer.chunk import PATH_SEPARATOR
from kefu.vocab import ChunkKind, Persona

MAX_CITATIONS = 3
SENTENCE_SLACK = 0.08  # a further sentence is quoted when it scores this close to the best
AMOUNT_BONUS = 0.1  # about one shared content word's worth of overlap
TIME_LIMIT = re.compile(r"\d+(?:\.\d+)?\s*(?:个)?(?:小时|分钟|天|日|个工作日|秒|声|周|月)(?:内|以内)?")
PHRASE_COLUMNS = ("应对用语", "避免用语", "应说", "不可以说")


@dataclass(frozen=True)
class Quote:
    text: str  # verbatim from the passage
    hit: Hit
    score: float


@dataclass(frozen=True)
class Citation:
    id: str
    kb: str
    doc: str
    title: str
    section: str
    text: str
    score: float
    date: str | None

    def to_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("id", "kb", "doc", "title", "section", "text", "score", "date")}


@dataclass(frozen=True)
class ComposedAnswer:
    text: str
    citations: list[Citation]
    quotes: list[str]


def score_units(hit: Hit, context: "AnswerContext", question_tokens: set[str]) -> list[tuple[str, float]]:
    """Each quotable unit of a passage with its score: half cosine (vectors from the index,
    embedded at build time), half the IDF-weighted share of the question's words it holds."""
    reader = context.readers[hit.kb]
    units = hit.chunk.quotable_units()
    cosines = reader.index.unit_vectors(hit.row) @ context.question_vector
    return [
        (unit, 0.5 * float(cos) + 0.5 * coverage(question_tokens, tokens, reader.idf))
        for unit, cos, tokens in zip(units, cosines, reader.passage_tokens.units(hit.row))
    ]


def amount_bonus(sentence: str, wants_amount: bool) -> float:
    """A question asking how long or how many is best answered by a sentence that states one
    (the answer-kind check refuses quotes that state none)."""
    return AMOUNT_BONUS if wants_amount and states_amount(sentence) else 0.0


def select_quotes(context: "AnswerContext", hits: list[Hit]) -> list[Quote]:
    """The best sentence overall, plus near-equals from the top passages, at most one
    quote per passage and MAX_CITATIONS in all, best first."""
    question_tokens = set(context.question_tokens)
    wants_amount = asks_amount(context.question)
    best_per_hit = []
    for hit in hits[:MAX_CITATIONS]:
        bonus = 0.05 if hit is hits[0] else 0.0
        scored = [(unit, score + amount_bonus(unit, wants_amount)) for unit, score in score_units(hit, context, question_tokens)]
        unit, score = max(scored, key=lambda pair: pair[1])
        best_per_hit.append(Quote(unit, hit, score + bonus))
    ranked = sorted(best_per_hit, key=lambda q: -q.score)
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
    if chunk.kind == ChunkKind.table_row:
        body = "\n".join(table_row_lines(quote.text))
        return f"根据《{chunk.title}》“{heading}”:\n{body} [{number}]"
    if persona == Persona.agent:
        return f"{quote.text} [{number}]({chunk.title} › {heading})"
    return f"根据《{chunk.title}》“{heading}”:{quote.text} [{number}]"


def time_limits(quotes: list[Quote]) -> list[str]:
    return list(dict.fromkeys(m.group(0) for q in quotes for m in TIME_LIMIT.finditer(q.text)))


def citation_for(hit: Hit, reader: Reader) -> Citation:
    chunk = hit.chunk
    return Citation(chunk.id, chunk.kb, chunk.doc, chunk.title, chunk.section, chunk.text, round(hit.score, 6), reader.dates.get(chunk.doc))


def compose_faq_answer(hit: Hit, reader: Reader) -> ComposedAnswer:
    """An approved editor answer, quoted whole with its editor-written mark."""
    return ComposedAnswer(f"{hit.chunk.text} [1]", [citation_for(hit, reader)], [hit.chunk.text])


@dataclass(frozen=True)
class AnswerContext:
    question: str
    question_vector: np.ndarray
    question_tokens: list[str]
    readers: dict[str, Reader]  # by kb: a hit's sentences are read from its own kb's index


def compose_answer(context: AnswerContext, hits: list[Hit], persona: Persona) -> ComposedAnswer:
    quotes = select_quotes(context, hits)
    if persona == Persona.customer:
        quotes = quotes[:2]
    lines = [frame(q, n, persona) for n, q in enumerate(quotes, start=1)]
    limits = time_limits(quotes)
    if persona == Persona.agent and limits:
        lines.insert(1, "时限:" + " / ".join(limits))
    citations = [citation_for(q.hit, context.readers[q.hit.kb]) for q in quotes]
    return ComposedAnswer("\n".join(lines), citations, [q.text for q in quotes])
