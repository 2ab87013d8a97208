"""Request and response models of the HTTP API: inputs strict (unknown fields refused),
outputs explicit, so nothing private (access-key hashes, tokens) can leak."""

import unicodedata
from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator

from kefu.vocab import Band, Channel, HandoffReason, MessageRole, Persona, Priority, TicketStatus


def is_unicode_text(text: str) -> bool:
    """False for text with lone surrogates (JSON "\\udcff" escapes, undecodable argv bytes):
    it cannot be stored, encoded or tokenised."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def one_line(text: str) -> str:
    """A name or a heading: no line break or control character, which would let it write
    another line (a forged `## question` in kb/faq.md, a fake record in a log)."""
    for character in text:
        if unicodedata.category(character) in ("Cc", "Zl", "Zp"):
            raise ValueError(f"须为一行文字,不能含有换行或控制字符 U+{ord(character):04X} / must be one line without line breaks or control characters")
    return text


SingleLine = Annotated[str, AfterValidator(one_line)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")

    @field_validator("*", mode="after")
    @classmethod
    def unicode_text_only(cls, value):
        texts = value.values() if isinstance(value, dict) else (value,)
        if not all(is_unicode_text(t) for t in texts if isinstance(t, str)):
            raise ValueError("含有无效字符 / holds characters that are not valid Unicode text")
        return value


KB_FIELD = Field(None, max_length=40, pattern=r"^[a-z][a-z0-9-]*$", description="The knowledge base (GET /api/kbs); none: all of them.")


class AskRequest(Strict):
    # No max_length here: an over-long question is a 413, decided by the service.
    question: str = Field(description="The customer's or agent's question (with `passage_id`: the 您是想问 option chosen).")
    kb: str | None = KB_FIELD
    passage_id: str | None = Field(None, max_length=32, pattern=r"^[0-9a-f]+$", description="A 您是想问 option's `id`: answer from that passage.")
    session_id: str | None = Field(None, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
    persona: Persona = Persona.customer
    channel: Channel = Channel.api


class CitationOut(BaseModel):
    id: str
    kb: str
    doc: str
    title: str
    section: str
    text: str
    score: float
    date: str | None = None


class HandoffOut(BaseModel):
    needed: bool
    reason: HandoffReason | None
    ticket_id: str | None
    priority: Priority | None = None
    fields: list[str] = []


class SuggestionOut(BaseModel):
    """A 您是想问 option: send `id` back as `passage_id` to be answered from that passage."""

    id: str
    kb: str
    title: str
    section: str
    question: str = Field(description="The option as a question: the passage's best-matching associated question, or its heading.")


class AskResponse(BaseModel):
    answer_id: str
    session_id: str
    answer: str
    citations: list[CitationOut]
    confidence: float
    handoff: HandoffOut
    band: Band
    suggestions: list[SuggestionOut] = []
    resolved_question: str | None = None


class SearchHitOut(CitationOut):
    dense_score: float | None
    bm25_score: float | None
    question: str | None = Field(None, description="The passage's associated question that matched best.")
    question_score: float | None = None


class SearchResponse(BaseModel):
    query: str
    terms: list[str] = Field([], description="The query's search tokens, for highlighting matches.")
    results: list[SearchHitOut]


class FeedbackRequest(Strict):
    answer_id: str = Field(min_length=1, max_length=64)
    helpful: bool
    comment: str | None = Field(None, max_length=2000)


class TicketCreate(Strict):
    session_id: str | None = Field(None, max_length=64)
    name: SingleLine = Field(min_length=1, max_length=50)
    phone: SingleLine = Field(min_length=5, max_length=30)
    fields: dict[str, str] | None = None
    reason: HandoffReason | None = Field(
        None,
        description="Not read: a ticket's reason and priority come from what the server detected (the chat session's handoffs, urgent words "
        "in the complaint) or from an agent. Accepted so that widgets sending it stay valid.",
    )
    channel: Channel = Channel.api
    kb: str | None = Field(None, max_length=40, pattern=r"^[a-z][a-z0-9-]*$", description="The knowledge base, when no chat session names it.")


class TicketCreated(BaseModel):
    ticket_id: str
    access_key: str | None
    status: TicketStatus
    priority: Priority
    sla_due_at: datetime
    message: str


class TicketMessageOut(BaseModel):
    role: MessageRole
    author: str | None
    text: str
    created_at: datetime


class TicketOut(BaseModel):
    id: str
    kb: str | None = None
    status: TicketStatus
    priority: Priority
    reason: HandoffReason
    channel: Channel
    name: str
    phone: str
    fields: dict | None
    assignee: str | None
    sla_due_at: datetime
    created_at: datetime
    updated_at: datetime
    messages: list[TicketMessageOut] = []


class TicketPage(BaseModel):
    tickets: list[TicketOut] = Field(description="This page of the queue, urgent and overdue first (transcripts left out).")
    total: int = Field(description="Tickets matching the filters, on every page.")
    limit: int
    offset: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last one.")


class TicketPatch(Strict):
    status: TicketStatus | None = None
    priority: Priority | None = Field(None, description="An agent's judgement of urgency; raised to urgent, the due time comes within 2 hours.")
    assignee: SingleLine | None = Field(None, max_length=50)
    note: str | None = Field(None, max_length=5000)
    author: SingleLine | None = Field(None, max_length=50, description="Who writes the note (the agent's name).")


class TicketMessageIn(Strict):
    text: str = Field(min_length=1, max_length=5000)
    author: SingleLine | None = Field(None, max_length=50)


class KbFactsOut(BaseModel):
    """A knowledge base's public facts (its kb.yaml)."""

    id: str
    name: str
    organization: str
    hotline: str | None
    greeting: str
    quick_questions: list[str]


class KbOut(KbFactsOut):
    """A knowledge base's public facts, for the widget."""

    indexed: bool = Field(description="Whether it has an index to answer from.")


class IndexInfo(BaseModel):
    kb: str
    version: str
    built_at: str
    docs: int
    chunks: int
    questions: int
    model: str
    dimension: int


class ReindexProgress(BaseModel):
    stage: str = Field(description="load, chunk, embed, write, check (quality gate), publish, switch — in that order")
    done: int
    total: int


class ReindexResult(BaseModel):
    version: str
    docs: int
    chunks: int
    questions: int
    embedded: int = Field(description="Texts (sentences, questions) embedded by this build; the rest came from the cache.")
    reused: int
    seconds: float


class ReindexStatus(BaseModel):
    state: Literal["idle", "running", "done", "failed"]
    kb: str | None = None
    progress: ReindexProgress | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    version: str | None = None
    summary: str | None = None
    result: ReindexResult | None = None
    error: str | None = None
    changes: dict | None = None


class FaqEntry(Strict):
    question: SingleLine = Field(min_length=2, max_length=200)
    answer: str = Field(min_length=2, max_length=2000)
    author: SingleLine = Field(min_length=1, max_length=50)
    questions: list[Annotated[SingleLine, Field(min_length=1, max_length=200)]] = Field(
        [], max_length=100, description="More ways of asking it (an unanswered group's questions): associated questions of the entry's answer."
    )


class ErrorDetail(BaseModel):
    code: str
    message: str


class ErrorOut(BaseModel):
    """The one shape of every 4xx/5xx body."""

    error: ErrorDetail


_ERROR_MEANINGS = {
    400: "body not parseable (invalid JSON or UTF-8)",
    401: "token or access key missing",
    403: "token not valid for this endpoint",
    404: "no such ticket, answer, knowledge base, document, passage, kept version or endpoint",
    408: "the request's body did not arrive within KEFU_BODY_TIMEOUT_SECONDS",
    409: "conflicts with work in progress (re-index running, nothing to roll back to), a knowledge base not indexed yet, an Idempotency-Key already used for another ticket, an upload whose document id another kb file has, a kb that exists, or questions that cannot be written under that passage",
    413: "question or body too large",
    415: "unsupported upload type",
    422: "invalid request (field, type, empty question, bad phone, unknown field), or an upload that cannot be parsed or passes a parser's limit (nesting, time, memory)",
    429: "rate limit reached (see Retry-After)",
    503: "index not loaded or ticket store unavailable",
}
# Declared on every API route, so the OpenAPI schema tells clients (and schemathesis) the truth.
ERROR_RESPONSES = {status: {"model": ErrorOut, "description": meaning} for status, meaning in _ERROR_MEANINGS.items()}
