"""Chat sessions, their turns, the answer log and feedback.

An answer's writes are SQLAlchemy Core statements, not ORM objects: per answer, the ORM's unit of
work cost more than the statements themselves (bench/ask_profile.py)."""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.store.errors import AnswerNotFound
from bot.store.models import AnswerLog, ChatSession, Feedback, Ticket, Turn, now_utc
from kefu.vocab import TicketStatus


def read_session(db: Session, session_id: str | None, *, persona: str, channel: str, kb: str | None = None, now: datetime | None = None) -> dict:
    """What answering needs of a session, in one query and without writing: a live session of
    the same kb as it is, or (an unknown or expired id, or one of another knowledge base) a new
    one, `new` and not stored yet. The answer's transaction stores it (`save_answered`)."""
    now = now or now_utc()
    chat, ticket = ChatSession.__table__, Ticket.__table__
    row = db.execute(
        select(chat.c.id, chat.c.expires_at, chat.c.kb, chat.c.last_question, chat.c.low_confidence_streak, chat.c.contact, chat.c.ticket_id, ticket.c.status)
        .select_from(chat.outerjoin(ticket, ticket.c.id == chat.c.ticket_id))
        .where(chat.c.id == session_id)
    ).first() if session_id else None
    if row is None or row.expires_at <= now or row.kb != kb:
        return {"id": uuid.uuid4().hex, "new": True, "persona": persona, "channel": channel, "kb": kb, "last_question": None,
                "low_streak": 0, "contact": None, "ticket_id": None, "silenced": False}
    return {"id": row.id, "new": False, "persona": persona, "channel": channel, "kb": row.kb, "last_question": row.last_question,
            "low_streak": row.low_confidence_streak, "contact": row.contact, "ticket_id": row.ticket_id,
            "silenced": row.status == TicketStatus.assigned}


def save_answered(db: Session, session: dict, *, resolved: str, low: bool, ttl_minutes: int, now: datetime) -> None:
    """The session after an answer: its expiry extended, the question it was read as kept for a
    follow-up, the low-confidence streak counted in the same statement (concurrent answers of
    one session cannot lose a count). Inserted when new, or when deleted since it was read
    (retention): the customer holds its id."""
    chat = ChatSession.__table__
    times = {"updated_at": now, "expires_at": now + timedelta(minutes=ttl_minutes), "last_question": resolved}
    if not session["new"]:
        streak = chat.c.low_confidence_streak + 1 if low else 0
        if db.execute(update(chat).where(chat.c.id == session["id"]).values(**times, low_confidence_streak=streak)).rowcount:
            return
    db.execute(insert(chat).values(
        id=session["id"], persona=session["persona"], channel=session["channel"], kb=session["kb"], created_at=now,
        low_confidence_streak=int(low), **times,
    ))


def touch_session(db: Session, session_id: str, ttl_minutes: int, now: datetime) -> None:
    """A live session's expiry extended (a silenced session's customer still writes)."""
    chat = ChatSession.__table__
    db.execute(update(chat).where(chat.c.id == session_id).values(updated_at=now, expires_at=now + timedelta(minutes=ttl_minutes)))


def append_turns(db: Session, session_id: str, turns: list[tuple[str, str, str | None]], now: datetime | None = None) -> None:
    """(role, text, answer id) turns, in order, in one statement."""
    now = now or now_utc()
    db.execute(insert(Turn.__table__), [
        {"session_id": session_id, "role": role, "text": text, "created_at": now, "answer_id": answer_id} for role, text, answer_id in turns
    ])


def transcript(db: Session, session_id: str) -> list[tuple[str, str]]:
    turns = db.scalars(select(Turn).where(Turn.session_id == session_id).order_by(Turn.id))
    return [(t.role, t.text) for t in turns]


def record_answer(db: Session, *, answer_id: str, session_id: str, question: str, answer: str, confidence: float, handoff_reason: str | None, citations: list, index_version: str, kb: str | None = None, now: datetime | None = None) -> None:
    db.execute(insert(AnswerLog.__table__).values(
        id=answer_id, session_id=session_id, question=question, answer=answer, confidence=confidence,
        handoff_reason=handoff_reason, citations=citations, index_version=index_version, created_at=now or now_utc(), kb=kb,
    ))


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


def unanswered_questions(db: Session, kb: str | None = None, limit: int = 500) -> list[AnswerLog]:
    """The latest questions the manuals could not answer; of one kb's sessions when `kb` is given."""
    query = select(AnswerLog).where(AnswerLog.handoff_reason.in_(MANUAL_GAPS))
    if kb is not None:
        query = query.where(AnswerLog.kb == kb)
    return list(db.scalars(query.order_by(AnswerLog.created_at.desc()).limit(limit)))
