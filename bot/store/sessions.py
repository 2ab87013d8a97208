"""Chat sessions, their turns, the answer log and feedback."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.errors import AnswerNotFound
from bot.store.models import AnswerLog, ChatSession, Feedback, Turn, now_utc


def get_or_create_session(db: Session, session_id: str | None, *, persona: str, channel: str, ttl_minutes: int, kb: str | None = None, now: datetime | None = None) -> ChatSession:
    """A live session of the same kb has its expiry extended; an unknown or expired id, or one
    of another knowledge base, starts a new one."""
    now = now or now_utc()
    chat = db.get(ChatSession, session_id) if session_id else None
    if chat is None or chat.expires_at <= now or chat.kb != kb:
        chat = ChatSession(id=uuid.uuid4().hex, persona=persona, channel=channel, created_at=now, low_confidence_streak=0, kb=kb)
        db.add(chat)
    chat.updated_at = now
    chat.expires_at = now + timedelta(minutes=ttl_minutes)
    db.flush()
    return chat


def append_turn(db: Session, session_id: str, role: str, text: str, answer_id: str | None = None) -> Turn:
    turn = Turn(session_id=session_id, role=role, text=text, created_at=now_utc(), answer_id=answer_id)
    db.add(turn)
    return turn


def transcript(db: Session, session_id: str) -> list[tuple[str, str]]:
    turns = db.scalars(select(Turn).where(Turn.session_id == session_id).order_by(Turn.id))
    return [(t.role, t.text) for t in turns]


def record_answer(db: Session, *, answer_id: str, session_id: str, question: str, answer: str, confidence: float, handoff_reason: str | None, citations: list, index_version: str, kb: str | None = None) -> AnswerLog:
    log = AnswerLog(
        id=answer_id, session_id=session_id, question=question, answer=answer, confidence=confidence,
        handoff_reason=handoff_reason, citations=citations, index_version=index_version, created_at=now_utc(), kb=kb,
    )
    db.add(log)
    return log


def handoff_reasons(db: Session, session_id: str) -> list[str]:
    """The session's handoff reasons, newest first."""
    return list(db.scalars(
        select(AnswerLog.handoff_reason)
        .where(AnswerLog.session_id == session_id, AnswerLog.handoff_reason.is_not(None))
        .order_by(AnswerLog.created_at.desc())
    ))


def record_feedback(db: Session, *, answer_id: str, helpful: bool, comment: str | None = None) -> Feedback:
    if db.get(AnswerLog, answer_id) is None:
        raise AnswerNotFound(f"回答 {answer_id} 不存在 / answer {answer_id} not found")
    feedback = Feedback(answer_id=answer_id, helpful=helpful, comment=comment, created_at=now_utc())
    db.add(feedback)
    return feedback


# What the manuals could not answer. A request for a person, an urgent matter or chatter is a
# handoff too, but no gap an editor can fill.
MANUAL_GAPS = ("low_confidence", "repeated_failure")


def unanswered_questions(db: Session, kb: str | None = None, limit: int = 500, since: datetime | None = None) -> list[AnswerLog]:
    """The latest questions the manuals could not answer (asked since `since`); of one kb's
    sessions when `kb` is given."""
    query = select(AnswerLog).where(AnswerLog.handoff_reason.in_(MANUAL_GAPS))
    if kb is not None:
        query = query.where(AnswerLog.kb == kb)
    if since is not None:
        query = query.where(AnswerLog.created_at >= since)
    return list(db.scalars(query.order_by(AnswerLog.created_at.desc()).limit(limit)))


def unhelpful_answers(db: Session, kb: str, since: datetime, limit: int) -> list[tuple[Feedback, AnswerLog]]:
    """The latest 没帮助 feedback on the kb's answers since `since`, each with its answer."""
    query = (
        select(Feedback, AnswerLog).join(AnswerLog, Feedback.answer_id == AnswerLog.id)
        .where(Feedback.helpful.is_(False), AnswerLog.kb == kb, Feedback.created_at >= since)
        .order_by(Feedback.created_at.desc(), Feedback.id.desc()).limit(limit)
    )
    return [(feedback, answer) for feedback, answer in db.execute(query)]
