"""What the store forgets: chat sessions, their turns, the answer log and feedback older than the
retention window. Tickets are never purged (they are the company's record of a complaint), and
neither is anything of a session whose ticket is still open or assigned: its agent needs it."""

from datetime import datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session

from bot.store.models import AnswerLog, ChatSession, Feedback, Ticket, Turn
from kefu.vocab import TicketStatus

LIVE_TICKETS = (TicketStatus.open.value, TicketStatus.assigned.value)


def purge_before(db: Session, cutoff: datetime) -> dict[str, int]:
    """Delete what was written before `cutoff`; the rows deleted per table."""
    kept = select(Ticket.session_id).where(Ticket.status.in_(LIVE_TICKETS), Ticket.session_id.is_not(None))
    old_answers = select(AnswerLog.id).where(AnswerLog.created_at < cutoff, AnswerLog.session_id.not_in(kept))
    deleted = {}
    statements = {
        "feedback": delete(Feedback).where(or_(Feedback.created_at < cutoff, Feedback.answer_id.in_(old_answers))),
        "answers": delete(AnswerLog).where(AnswerLog.id.in_(old_answers)),
        "turns": delete(Turn).where(Turn.created_at < cutoff, Turn.session_id.not_in(kept)),
        # A session last used before the cutoff has no later turn left (its turns are older still).
        "sessions": delete(ChatSession).where(ChatSession.updated_at < cutoff, ChatSession.id.not_in(kept)),
    }
    for table, statement in statements.items():
        deleted[table] = db.execute(statement.execution_options(synchronize_session=False)).rowcount
    return deleted
