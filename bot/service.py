"""Answering one question: triggers, retrieval, confidence band, composition, records.

Plain Python: the HTTP routers and the CLI both call `BotService.ask`.
"""

import logging
import threading
import uuid
from collections import Counter
from dataclasses import dataclass, field
from functools import partial

from bot.answer import MAX_CITATIONS, AnswerContext, ComposedAnswer, compose_answer, compose_faq_answer
from bot.answer_kind import answers_kind
from bot.decision import DecisionModel
from bot.errors import EmptyQuestion, InvalidRequest, KbNotIndexed, NotFound, NotReady, QuestionTooLong
from bot.features import Asked
from bot.followup import resolve_follow_up
from bot.handoff import detect_request, priority_for, required_fields
from bot.ranking import Ranked, rank_candidates, with_correction
from bot.reader import Reader
from bot.replies import SILENT, SUGGEST, TICKETS_UNAVAILABLE, handoff_reply, reading_note
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.results import hit_to_json, matches_nothing
from bot.retrieve.search import Hit, Searcher
from bot.store.errors import StoreUnavailable
from bot.suggest import suggestions_from
from indexer.faq import FAQ_DOC_ID, without_stamp
from kefu.kbs import KnowledgeBase, UnknownKb, check_kb_id
from kefu.settings import Settings
from kefu.text.colloquial import spoken_to_written
from kefu.text.correct import Corrector
from kefu.text.normalize import normalize_text
from kefu.text.tokenize import Tokenizer
from kefu.vocab import Band, HandoffReason, Persona

log = logging.getLogger(__name__)
SEARCH_DEPTH = 5


@dataclass
class Handoff:
    needed: bool = False
    reason: HandoffReason | None = None
    ticket_id: str | None = None
    priority: str | None = None
    fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "needed": self.needed,
            "reason": self.reason.value if self.reason else None,
            "ticket_id": self.ticket_id,
            "priority": self.priority,
            "fields": self.fields,
        }


@dataclass
class AskResult:
    answer_id: str
    session_id: str
    answer: str
    citations: list[dict]
    confidence: float
    handoff: Handoff
    band: Band
    suggestions: list[dict] = field(default_factory=list)
    signals: dict = field(default_factory=dict)
    resolved_question: str | None = None

    def to_dict(self) -> dict:
        return {
            "answer_id": self.answer_id,
            "session_id": self.session_id,
            "answer": self.answer,
            "citations": self.citations,
            "confidence": self.confidence,
            "handoff": self.handoff.to_dict(),
            "band": self.band.value,
            "suggestions": self.suggestions,
            "signals": self.signals,
            "resolved_question": self.resolved_question,
        }


def check_question(question: str, max_chars: int) -> str:
    try:
        question.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidRequest("问题含有无效字符 / the question holds characters that are not valid Unicode text") from None
    text = normalize_text(question).strip()
    if not text:
        raise EmptyQuestion("问题不能为空 / the question is empty")
    if len(question) > max_chars:
        raise QuestionTooLong(f"问题太长:最多 {max_chars} 个字符 / the question is longer than {max_chars} characters")
    return text


def customer_view(answer: str, citations: list[dict]) -> tuple[str, list[dict]]:
    """An answer as a customer is shown it: an FAQ entry without its editor stamp."""
    if not any(c["doc"] == FAQ_DOC_ID for c in citations):
        return answer, citations
    return without_stamp(answer), [{**c, "text": without_stamp(c["text"])} if c["doc"] == FAQ_DOC_ID else c for c in citations]


@dataclass
class Outcome:
    """What retrieval and the triggers decided, before anything is recorded."""

    band: Band
    reason: HandoffReason | None
    score: float  # the decision model's probability that the top passage answers the question
    signals: dict[str, float]  # the top passage's features
    hits: list[Hit]
    composed: ComposedAnswer | None
    index_version: str  # "kb:version" of the reader that answered, even if a re-index swapped another in since
    corrections: tuple = ()  # typos read as kb terms: the answer says so


SECOND_CITATION = 0.5  # a further passage is cited when its probability is at least this share of the top's


def cited_hits(ranked: Ranked, persona: Persona) -> list[Hit]:
    """The top passage, and for an agent up to two more nearly as likely to answer (a customer
    gets the one answer)."""
    if persona == Persona.customer:
        return ranked.hits[:1]
    top = ranked.probabilities[0]
    return [hit for hit, p in zip(ranked.hits[:MAX_CITATIONS], ranked.probabilities) if p >= SECOND_CITATION * top]


def version_of(reader: Reader) -> str:
    return f"{reader.kb}:{reader.version}"


class BotService:
    """Answers from the knowledge bases' current readers: one kb's when a question names it
    (the widget of that company), all of them when it does not (an agent serving several)."""

    def __init__(
        self, settings: Settings, queries: QueryEncoder, tokenizer: Tokenizer, decision: DecisionModel,
        kbs: dict[str, KnowledgeBase], readers: dict[str, Reader], store=None,
    ):
        self.settings = settings
        self.queries = queries
        self.tokenizer = tokenizer
        self.decision = decision
        self.kbs = kbs  # every knowledge base, indexed or not
        self.readers = readers  # kb -> reader; the dict is replaced whole by `use_reader`, never changed in place
        self.store = store
        self._joint_corrector: tuple[tuple, Corrector] | None = None  # for questions asked of every kb
        self._joint_building = threading.Lock()
        self._make_joint_corrector()

    def use_reader(self, reader: Reader) -> None:
        self.readers = {**self.readers, reader.kb: reader}
        self._make_joint_corrector()

    def _make_joint_corrector(self) -> None:
        """Made when the readers change (start-up, a publish), off the questions' path: made by
        the first question instead, each of fifty concurrent first questions built it,
        and nothing was answered for 5-10 s."""
        readers = self.readers
        if len(readers) > 1:
            self.corrector_for([readers[name] for name in sorted(readers)])

    def use_kbs(self, kbs: dict[str, KnowledgeBase]) -> None:
        self.kbs = kbs

    def readers_for(self, kb: str | None) -> list[Reader]:
        """The readers a question is answered from (one snapshot for the whole answer)."""
        readers = self.readers
        if kb is None:
            if not readers:
                raise NotReady("索引尚未就绪 / no knowledge base is indexed yet: run `kefu index` or re-index from the editor page")
            return [readers[name] for name in sorted(readers)]
        if check_kb_id(kb) not in self.kbs:
            raise UnknownKb(f"没有知识库 {kb} / no knowledge base {kb!r}; GET /api/kbs lists them")
        if kb not in readers:
            raise KbNotIndexed(f"知识库 {kb} 尚未建立索引 / knowledge base {kb!r} is not indexed yet: re-index it from the editor page or run `kefu index --kb {kb}`")
        return [readers[kb]]

    def searcher(self, readers: list[Reader]) -> Searcher:
        return Searcher([reader.index for reader in readers], self.queries, self.tokenizer, self.settings)

    def rank(self, question: str, persona: Persona, kb: str | None = None, readers: list[Reader] | None = None, order_only: bool = False) -> Ranked:
        """The question's candidates ranked as the bot answers from them (the decision model's
        order): as typed, and corrected toward the kb's vocabulary when it holds a likely typo.
        `order_only` (a search): no features or confidence unless the order needs them (a model
        that re-ranks, or a typed and a corrected ranking to choose between)."""
        readers = readers or self.readers_for(kb)
        written = spoken_to_written(question)
        correction = self.corrector_for(readers).correct(written)
        scored = not order_only or self.decision.rerank or bool(correction.changes)
        plain = self._rank_text(written, persona, readers, scored)
        corrected = self._rank_text(correction.text, persona, readers, scored) if correction.changes else None
        return with_correction(plain, corrected, correction)

    def _rank_text(self, text: str, persona: Persona, readers: list[Reader], scored: bool = True) -> Ranked:
        asked = Asked(text, self.tokenizer.tokenize(text), persona, len(readers))
        by_kb = {reader.kb: reader for reader in readers}
        return rank_candidates(self.searcher(readers), by_kb, self.decision, asked, scored=scored)

    def corrector_for(self, readers: list[Reader]) -> Corrector:
        """The one kb's corrector; for several, one over their joint vocabulary, made once per set of versions."""
        if len(readers) == 1:
            return readers[0].corrector
        key = tuple(version_of(reader) for reader in readers)
        joint = self._joint_corrector
        if joint is not None and joint[0] == key:
            return joint[1]
        with self._joint_building:  # one builder; the questions arriving meanwhile wait for its result
            joint = self._joint_corrector
            if joint is None or joint[0] != key:
                terms: Counter = Counter()
                for reader in readers:
                    terms.update(reader.index.terms)
                joint = self._joint_corrector = (key, Corrector.from_vocabulary(terms, self.tokenizer))
            return joint[1]

    def search(self, query: str, k: int, kb: str | None = None, floor: bool = True) -> dict:
        """Passages for a quick lookup (the agents' console), ranked as the bot ranks them: the
        citation shape with each document's date, and the query's tokens for highlighting; none
        for a query that matched nothing (results.matches_nothing), unless `floor` is off (an
        editor looking for the passage a missed question should have found)."""
        readers = self.readers_for(kb)
        ranked = self.rank(query, Persona.agent, readers=readers, order_only=True).hits
        hits = [] if floor and matches_nothing(ranked, self.settings.search_dense_floor) else ranked[:k]  # judged on all, whatever k
        dates = {reader.kb: reader.dates for reader in readers}
        results = [{**hit_to_json(hit), "date": dates[hit.kb].get(hit.chunk.doc)} for hit in hits]
        return {"query": query, "results": results, "terms": self.tokenizer.tokenize(query)}

    def decide(self, question: str, persona: Persona, low_streak: int, kb: str | None = None) -> Outcome:
        readers = self.readers_for(kb)
        reason = detect_request(question) if persona == Persona.customer else None
        if reason in (HandoffReason.urgent, HandoffReason.user_request):
            return Outcome(Band.handoff, reason, 0.0, {}, [], None, version_of(readers[0]) if kb else "")
        ranked = self.rank(question, persona, readers=readers)
        hits, score = ranked.hits[:SEARCH_DEPTH], ranked.confidence
        signals = ranked.features[0] if hits else {}
        by_kb = {reader.kb: reader for reader in readers}
        top = by_kb[hits[0].kb] if hits else readers[0]
        version = version_of(top) if hits or kb else ""
        fixed = ranked.corrections
        if reason == HandoffReason.out_of_scope:
            return Outcome(Band.handoff, reason, score, signals, hits, None, version)
        band = self.band(score, persona)
        if band == Band.answer and hits[0].chunk.doc == FAQ_DOC_ID:
            return Outcome(band, None, score, signals, hits, compose_faq_answer(hits[0], top), version, fixed)
        if band == Band.answer:
            cited = cited_hits(ranked, persona)
            composed = compose_answer(AnswerContext(question, ranked.vector, ranked.tokens, by_kb), cited, persona)
            if answers_kind(question, composed.quotes):
                return Outcome(band, None, score, signals, hits, composed, version, fixed)
            band = Band.suggest  # the topic was found, the asked-for amount or time was not
        reason = HandoffReason.repeated_failure if low_streak >= 1 else HandoffReason.low_confidence
        return Outcome(band, reason, score, signals, hits, None, version, fixed)

    def thresholds(self, persona: Persona) -> tuple[float, float]:
        """The answer and suggest thresholds: the model's (the answer threshold the persona's),
        unless the settings override them."""
        answer = self.settings.answer_threshold if self.settings.answer_threshold is not None else self.decision.answer_threshold_for(persona.value)
        suggest = self.settings.suggest_threshold if self.settings.suggest_threshold is not None else self.decision.suggest_threshold
        return answer, suggest

    def band(self, probability: float, persona: Persona) -> Band:
        answer, suggest = self.thresholds(persona)
        if probability >= answer:
            return Band.answer
        return Band.suggest if probability >= suggest else Band.handoff

    def answer_from(self, passage_id: str, question: str, persona: Persona, kb: str | None = None) -> Outcome:
        """The answer from the passage a customer picked among the 您是想问 options."""
        for reader in self.readers_for(kb):
            row = reader.index.row_of(passage_id)
            if row is not None:
                break
        else:
            raise NotFound(f"没有这个段落 {passage_id} / no passage {passage_id!r} in this knowledge base; ask the question again")
        hit = Hit(reader.index.chunks[row], 1.0, None, None, row=row)
        if hit.chunk.doc == FAQ_DOC_ID:
            return Outcome(Band.answer, None, 1.0, {}, [hit], compose_faq_answer(hit, reader), version_of(reader))
        context = AnswerContext(question, self.queries.encode(question), self.tokenizer.tokenize(question), {reader.kb: reader})
        return Outcome(Band.answer, None, 1.0, {}, [hit], compose_answer(context, [hit], persona), version_of(reader))

    def ask(
        self, question: str, session_id: str | None = None, persona: Persona = Persona.customer, channel: str = "api",
        kb: str | None = None, passage_id: str | None = None,
    ) -> AskResult:
        text = check_question(question, self.settings.max_question_chars)
        self.readers_for(kb)  # an unknown kb is refused before a session is opened for it
        session = self._session(session_id, persona, channel, kb)
        if session.get("silenced"):
            return self._silent(session, text)
        resolved = resolve_follow_up(text, session.get("last_question"))
        if passage_id:
            outcome = self.answer_from(passage_id, text, persona, kb)
        else:
            outcome = self.decide(resolved, persona, session.get("low_streak", 0), kb)
        result = self._result(outcome, session, persona, text, resolved)
        urgent = result.handoff.reason == HandoffReason.urgent and bool(session.get("contact"))
        # A ticket opened in the answer's transaction: the customer gets its number, no form.
        urgent_reply = partial(handoff_reply, HandoffReason.urgent, persona) if urgent else None
        ticket_id = self._record(session, text, resolved, result, outcome.index_version, urgent_reply)
        if ticket_id and not session.get("open_ticket"):
            result.handoff.fields = []
        result.handoff.ticket_id = ticket_id or result.handoff.ticket_id
        if session.get("store_down") and result.handoff.needed and persona == Persona.customer and not result.answer.endswith(TICKETS_UNAVAILABLE):
            result.answer += TICKETS_UNAVAILABLE  # the store went away while answering: no ticket can be opened now
        return result

    def preview(self, question: str, persona: Persona = Persona.customer, kb: str | None = None) -> tuple[AskResult, Outcome]:
        """What `ask` answers as the first question of a new session, and how it got there, with
        nothing recorded (no session, answer log or ticket): the editors' hit test."""
        text = check_question(question, self.settings.max_question_chars)
        outcome = self.decide(text, persona, 0, kb)
        return self._result(outcome, {"id": ""}, persona, text, text), outcome

    def _result(self, outcome: Outcome, session: dict, persona: Persona, text: str, resolved: str) -> AskResult:
        handoff = Handoff()
        suggestions: list[dict] = []
        if outcome.band == Band.answer:
            answer, citations = outcome.composed.text, [c.to_dict() for c in outcome.composed.citations]
            if persona == Persona.customer:
                answer, citations = customer_view(answer, citations)
            answer = reading_note(outcome.corrections) + answer
        else:
            citations = []
            reason, ticket = outcome.reason, session.get("open_ticket")
            handoff = Handoff(True, reason, ticket, priority_for(reason).value, [] if ticket else required_fields(resolved, reason))
            answer = handoff_reply(reason, persona, ticket)
            if outcome.band == Band.suggest and reason != HandoffReason.out_of_scope:
                suggestions = suggestions_from(outcome.hits)
                answer = reading_note(outcome.corrections) + SUGGEST if suggestions else answer
            if (self.store is None or session.get("store_down")) and persona == Persona.customer:
                answer += TICKETS_UNAVAILABLE
        return AskResult(
            answer_id=uuid.uuid4().hex,
            session_id=session["id"],
            answer=answer,
            citations=citations,
            confidence=outcome.score,
            handoff=handoff,
            band=outcome.band,
            suggestions=suggestions,
            signals={name: round(value, 4) for name, value in outcome.signals.items()},
            resolved_question=resolved if resolved != text else None,
        )

    # --- session state and records: the store when there is one, nothing when there is not ---

    def _session(self, session_id: str | None, persona: Persona, channel: str, kb: str | None) -> dict:
        if self.store is None:
            return {"id": session_id or uuid.uuid4().hex}
        try:
            return self.store.session_state(session_id, persona.value, channel, kb)
        except StoreUnavailable:  # busy or gone: answer without memory, as if there were no store
            log.warning("store unavailable: answering without session memory or tickets")
            return {"id": session_id or uuid.uuid4().hex, "store_down": True}

    def _silent(self, session: dict, text: str) -> AskResult:
        self.store.forward_to_ticket(session, text, self.settings.session_ttl_minutes)
        handoff = Handoff(True, None, session.get("ticket_id"), None, [])
        return AskResult(uuid.uuid4().hex, session["id"], SILENT, [], 0.0, handoff, Band.handoff)

    def _record(self, session: dict, text: str, resolved: str, result: AskResult, index_version: str, urgent_reply) -> str | None:
        """The answer's one transaction (bot.records); the id of an urgent ticket it opened or escalated."""
        if self.store is None or session.get("store_down"):
            return None
        try:
            return self.store.record_turn(session, text, resolved, result, index_version, self.settings.session_ttl_minutes, urgent_reply)
        except StoreUnavailable:  # busy or gone since the session was read: the answer still goes out
            log.warning("store unavailable: answer %s not recorded", result.answer_id)
            session["store_down"] = True
        except Exception:  # an answer already composed is still worth returning
            log.exception("could not record answer %s", result.answer_id)
        return None
