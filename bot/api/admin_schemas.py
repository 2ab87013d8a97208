"""Request and response models of the editors' routes (/api/admin/…): knowledge bases,
documents, passages and their questions, hit test, versions, the unanswered loop."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from bot.api.schemas import CitationOut, HandoffOut, KbFactsOut, SingleLine, Strict, SuggestionOut
from kefu.kbs import MAX_QUICK_QUESTIONS
from kefu.vocab import Band, Persona

KB_ID = Field(pattern=r"^[a-z][a-z0-9-]{0,39}$", description="Lowercase ASCII letters, digits and '-', starting with a letter.")
VERSION_ID = r"^\d{8}T\d{9}Z$"
Question = Annotated[SingleLine, Field(min_length=1, max_length=200)]


class KbFacts(Strict):
    name: SingleLine = Field(min_length=1, max_length=50)
    organization: SingleLine = Field(min_length=1, max_length=100)
    hotline: SingleLine | None = Field(None, max_length=30, description="Only when the manual states one.")
    greeting: SingleLine = Field(min_length=1, max_length=200)
    quick_questions: list[Annotated[SingleLine, Field(min_length=1, max_length=50)]] = Field([], max_length=MAX_QUICK_QUESTIONS)


class KbCreate(KbFacts):
    id: str = KB_ID


class AdminKbOut(KbFactsOut):
    version: str | None = Field(description="The index version it is served from; null before its first index.")


class DocumentOut(BaseModel):
    doc: str = Field(description="The document id (its file's stem), quoted in citations.")
    file: str
    format: str
    title: str | None
    source: str | None = None
    date: str | None = None
    passages: int
    questions: int
    bytes: int | None
    modified: datetime | None
    state: Literal["indexed", "changed", "new", "deleted", "unreadable"] = Field(
        description="Against the version being served: in it as it is, changed since, not in it yet, deleted from kb/ (still served until the next re-index), or a file that cannot be parsed."
    )
    error: str | None = None


class DocumentDetail(DocumentOut):
    markdown: str | None = Field(description="The document as the indexer reads it (Markdown), for a preview.")


class UploadOut(BaseModel):
    document: str = Field(description="The file name it is kept under in the kb.")
    doc: str
    title: str
    date: str | None
    bytes: int
    passages: int
    questions: int
    replaced: str | None = Field(None, description="The file it replaced, when another name (a .docx replaced by a .md).")


class DeletedOut(BaseModel):
    document: str
    doc: str


class PassageOut(BaseModel):
    id: str
    doc: str
    title: str
    section: str
    text: str
    kind: str
    questions: list[str]
    editable: bool = Field(description="Whether its questions can be written (Markdown documents).")
    indexed: bool | None = Field(description="Whether the version being served holds it with these questions; null when the kb has no index.")
    score: float | None = Field(None, description="With `q`: the search's fused score.")


class PassagePage(BaseModel):
    passages: list[PassageOut]
    total: int
    limit: int
    offset: int
    next_offset: int | None
    query: str | None = None


class QuestionsIn(Strict):
    questions: list[Question] = Field(max_length=100, description="The passage's associated questions, all of them, in order (an FAQ entry's own question is kept whatever is sent).")


class HitTestIn(Strict):
    kb: str = KB_ID
    question: str = Field(description="Asked as a customer or agent would ask it; over 2,000 characters is a 413.")
    persona: Persona = Persona.customer


class RankedPassageOut(BaseModel):
    rank: int
    id: str
    kb: str
    doc: str
    title: str
    section: str
    text: str
    kind: str
    questions: list[str]
    probability: float = Field(description="The decision model's probability that this passage answers the question.")
    features: dict[str, float] = Field(description="What the decision model saw of this passage (bot.features).")
    score: float = Field(description="Hybrid retrieval's fused score.")
    dense_score: float | None
    bm25_score: float | None
    question: str | None
    question_score: float | None
    sentence_score: float | None
    dense_rank: int | None
    bm25_rank: int | None


class HitTestOut(BaseModel):
    kb: str
    persona: Persona
    question: str
    band: Band
    confidence: float
    answer: str
    citations: list[CitationOut]
    suggestions: list[SuggestionOut]
    handoff: HandoffOut
    signals: dict[str, float] = Field(description="The features of the top passage (bot.features), from which the confidence was computed.")
    thresholds: dict[str, float] = Field(description="The confidence at or above which the bot answers, or offers 您是想问.")
    passages: list[RankedPassageOut]
    index_version: str


class VersionOut(BaseModel):
    version: str
    current: bool
    built_at: str | None
    build_seconds: float | None
    model: str | None
    dimension: int | None
    docs: int
    chunks: int
    questions: int
    embedded: int
    reused: int
    gate: dict | None = Field(description="The quality gate: state passed / first / skipped, and Recall@5 before and after when compared.")
    documents: list[str]


class VersionList(BaseModel):
    kb: str
    current: str | None
    versions: list[VersionOut]


class PassageBrief(BaseModel):
    id: str
    doc: str
    section: str
    text: str


class PassageChange(BaseModel):
    before: PassageBrief
    after: PassageBrief


class QuestionChange(PassageBrief):
    questions: list[str]


class VersionDiff(BaseModel):
    kb: str
    a: str
    b: str
    counts: dict[str, int]
    added: list[PassageBrief]
    removed: list[PassageBrief]
    changed: list[PassageChange]
    questions_added: list[QuestionChange]
    questions_removed: list[QuestionChange]


class RollbackIn(Strict):
    version: str | None = Field(None, pattern=VERSION_ID, description="A kept version (GET …/versions); none: the one before the current.")


class RestoredDocuments(BaseModel):
    restored: list[str] = Field(description="kb files put back as the version was built from them.")
    removed: list[str] = Field(description="kb files the version did not hold, moved out (kept for rolling forward).")
    missing: list[str] = Field(description="Files of the version with no copy kept (built before copies were kept): kb/ was left as it was.")


class RollbackOut(BaseModel):
    kb: str
    version: str
    documents: RestoredDocuments


class UnansweredGroup(BaseModel):
    id: str
    question: str = Field(description="The most asked question of the group, personal data masked.")
    count: int
    last_asked: datetime
    distinct: int = Field(description="Distinct ways of asking in the group.")
    examples: list[str]
    questions: list[str] = Field(description="The group's questions (masked, cut to 100 characters) that linking adds to a passage.")


class UnansweredPage(BaseModel):
    days: int
    groups: list[UnansweredGroup]
    total: int
    limit: int
    offset: int
    next_offset: int | None
    asked: int = Field(description="Unanswered questions of the window that were grouped (the newest 2,000 at most).")
    truncated: bool
    rechecking: int = Field(description="Questions not yet asked again of the new index version; asked on the next request.")


class FeedbackItem(BaseModel):
    answer_id: str
    question: str
    text: str = Field(description="The question as linking adds it to a passage (masked, cut to 100 characters).")
    answer: str
    comment: str | None
    created_at: datetime
    index_version: str


class FeedbackPage(BaseModel):
    days: int
    items: list[FeedbackItem]
    total: int
    limit: int
    offset: int
    next_offset: int | None


class FaqOut(BaseModel):
    kb: str
    question: str
    file: str
    passage: str = Field(description="The id of the entry's answer passage.")
