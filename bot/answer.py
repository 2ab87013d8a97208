"""Extractive answers: the sentences of the top passages that best answer the question,
quoted verbatim with [n] markers that point at their citations. Nothing else is policy text:
the only words the bot adds are the frame (根据《…》:) and the column names of a phrase table.
"""

import re
from dataclasses import asdict, dataclass

import numpy as np

from bot.answer_kind import asks_amount, states_amount
from bot.coverage import coverage
from bot.reader import Reader
from bot.retrieve.search import Hit
from indexer.chunk import PATH_SEPARATOR
from kefu.vocab import ChunkKind, Persona

MAX_CITATIONS = 3
WHOLE_PASSAGE_CHARS = 300  # a passage this short is quoted whole: one rule (99 % of them are)
SENTENCE_SLACK = 0.08  # in a longer passage, a further sentence is quoted when it scores this close to the best
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
        return asdict(self)


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


def passage_quote(hit: Hit, context: "AnswerContext") -> Quote:
    """What is quoted of a passage: all of it when it is one short item (most are: one rule
    per passage), else its best sentence and the near-equal ones after it, in their order."""
    if len(hit.chunk.text) <= WHOLE_PASSAGE_CHARS or hit.chunk.kind == ChunkKind.table_row:
        return Quote(hit.chunk.text, hit, 1.0)
    wants_amount = asks_amount(context.question)
    scored = [(unit, score + amount_bonus(unit, wants_amount)) for unit, score in score_units(hit, context, set(context.question_tokens))]
    best = max(score for _, score in scored)
    kept = [unit for unit, score in scored if score >= best - SENTENCE_SLACK][:2]
    return Quote("".join(kept), hit, best)


def select_quotes(context: "AnswerContext", hits: list[Hit]) -> list[Quote]:
    """A quote from each passage the decision chose to cite (best first), MAX_CITATIONS at most."""
    return [passage_quote(hit, context) for hit in hits[:MAX_CITATIONS]]


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
    """The answer quoting `hits` (the passages the decision chose to cite, best first)."""
    quotes = select_quotes(context, hits)
    lines = [frame(q, n, persona) for n, q in enumerate(quotes, start=1)]
    limits = time_limits(quotes)
    if persona == Persona.agent and limits:
        lines.insert(1, "时限:" + " / ".join(limits))
    citations = [citation_for(q.hit, context.readers[q.hit.kb]) for q in quotes]
    return ComposedAnswer("\n".join(lines), citations, [q.text for q in quotes])
