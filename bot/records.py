"""The bot's use of the store: session state, the answer log, tickets and feedback.

Every call opens one short transaction and retries briefly when the database is busy; an
answer reads its session (one query, nothing written) and writes everything else in one;
a database that stays away raises StoreUnavailable (HTTP 503), and answering goes on
without it (BotService treats a missing store as "no memory, no tickets").
"""

import logging
from datetime import datetime, timedelta

from bot.handoff import detect_request, priority_for
from bot.logmask import mask_name, mask_phone
from bot.store import retention, sessions, tickets
from bot.store.db import Store
from bot.store.errors import with_retry
from bot.store.models import now_utc
from kefu.vocab import HandoffReason, Priority, TicketStatus

log = logging.getLogger(__name__)


class Records:
    def __init__(self, store: Store, ticket_key_secret: str):
        self.store = store
        self.ticket_key_secret = ticket_key_secret

    def _run(self, work, read_only: bool = False, durable: bool = True):
        def attempt():
            with self.store.read() if read_only else self.store.session(durable) as db:
                return work(db)

        return with_retry(attempt)

    # --- conversation ---

    def session_state(self, session_id: str | None, persona: str, channel: str, kb: str | None = None) -> dict:
        """The session an answer is given in (see sessions.read_session); nothing is written."""
        return self._run(lambda db: sessions.read_session(db, session_id, persona=persona, channel=channel, kb=kb), read_only=True)

    def forward_to_ticket(self, session: dict, text: str, ttl_minutes: int) -> None:
        def work(db):
            sessions.touch_session(db, session["id"], ttl_minutes, now_utc())
            sessions.append_turns(db, session["id"], [("user", text, None)])
            tickets.add_ticket_message(db, session["ticket_id"], role="customer", text=text)

        self._run(work)

    def record_turn(self, session: dict, text: str, resolved: str, result, index_version: str, ttl_minutes: int, urgent_reply=None) -> str | None:
        """An answer in one transaction: its session (stored, or its expiry, last question and
        streak updated), the answer log and both turns. With `urgent_reply` (ticket id -> the
        reply that names it), the session's ticket is escalated, or a new urgent one opened first
        (see `urgent_ticket`) and `result.answer` becomes `urgent_reply` of it, so that the log,
        the turns and the ticket's transcript hold the reply the customer got; the ticket's id is
        returned."""

        def work(db):
            now = now_utc()
            reason = result.handoff.reason.value if result.handoff.reason else None
            low = result.band.value != "answer" and reason in sessions.MANUAL_GAPS
            sessions.save_answered(db, session, resolved=resolved, low=low, ttl_minutes=ttl_minutes, now=now)
            ticket = self._urgent_in(db, session["id"], text) if urgent_reply else None
            if ticket and not session.get("open_ticket"):
                result.answer = urgent_reply(ticket)
            sessions.record_answer(
                db, answer_id=result.answer_id, session_id=session["id"], question=text, answer=result.answer,
                confidence=result.confidence, handoff_reason=reason, citations=result.citations, index_version=index_version,
                kb=session.get("kb"), now=now,
            )
            sessions.append_turns(db, session["id"], [("user", text, None), ("bot", result.answer, result.answer_id)], now)
            if session.get("open_ticket") or ticket:  # the agent who takes it over reads everything, not what came before the form
                tickets.append_transcript(db, session.get("open_ticket") or ticket, [("user", text), ("bot", result.answer)])
            return ticket

        # An answer's log may lose its last rows to a power cut (see Store.session); a ticket's
        # transcript or an urgent ticket may not.
        return self._run(work, durable=bool(urgent_reply or session.get("open_ticket")))

    def _urgent_in(self, db, session_id: str, text: str) -> str | None:
        """urgent_ticket under a savepoint: a ticket that cannot be made loses no answer log."""
        try:
            with db.begin_nested():
                return urgent_ticket(db, session_id, text, self.ticket_key_secret)
        except Exception:
            log.exception("could not open an urgent ticket for session %s", session_id)
            return None

    # --- tickets ---

    def create_ticket(self, request, idempotency_key: str | None) -> tuple:
        def work(db):
            chat = db.get(sessions.ChatSession, request.session_id) if request.session_id else None
            reason = detected_reason(db, chat, request.fields)
            priority = priority_for(reason).value
            transcript = sessions.transcript(db, chat.id) if chat else []
            opened = tickets.create_ticket(
                db, name=request.name, phone=request.phone, reason=reason.value, priority=priority, channel=request.channel,
                session_id=chat.id if chat else None, key_secret=self.ticket_key_secret, fields=request.fields, transcript=transcript,
                idempotency_key=idempotency_key, kb=chat.kb if chat else request.kb,
            )
            if chat:
                chat.ticket_id = opened.ticket.id
                chat.contact = {"name": request.name, "phone": request.phone}
            return ticket_view(db, opened.ticket), opened.access_key, opened.new

        view, key, new = self._run(work)
        if new:
            log.info("ticket %s opened for %s, %s (%s, %s)", view["id"], mask_name(view["name"]), mask_phone(view["phone"]), view["priority"], view["reason"])
        return view, key

    def get_ticket(self, ticket_id: str, access_key: str | None = None, *, as_agent: bool) -> dict:
        def work(db):
            ticket = tickets.get_ticket(db, ticket_id)
            if not as_agent and not (access_key and tickets.check_access_key(ticket, access_key)):
                raise tickets.TicketNotFound(f"工单 {ticket_id} 不存在 / ticket {ticket_id} not found")
            return ticket_view(db, ticket)

        return self._run(work)

    def list_tickets(self, status: str | None, priority: str | None, limit: int = 50, offset: int = 0, kb: str | None = None) -> dict:
        """One page of the queue, with the total the filters match and the next page's offset (None after the last)."""

        def work(db):
            page = tickets.list_tickets(db, status=status, priority=priority, kb=kb, limit=limit, offset=offset)
            total = tickets.count_tickets(db, status=status, priority=priority, kb=kb)
            following = offset + len(page)
            return {
                "tickets": [ticket_view(db, t, with_messages=False) for t in page], "total": total,
                "limit": limit, "offset": offset, "next_offset": following if following < total else None,
            }

        return self._run(work)

    def update_ticket(self, ticket_id: str, patch, author: str | None = None) -> dict:
        def work(db):
            ticket = tickets.update_ticket(
                db, ticket_id, status=patch.status, assignee=patch.assignee, note=patch.note, author=author, priority=patch.priority,
            )
            return ticket_view(db, ticket)

        return self._run(work)

    def add_agent_message(self, ticket_id: str, text: str, author: str | None) -> dict:
        def work(db):
            tickets.add_ticket_message(db, ticket_id, role="agent", text=text, author=author)
            return ticket_view(db, tickets.get_ticket(db, ticket_id))

        return self._run(work)

    # --- feedback and the editors' to-do list ---

    def record_feedback(self, answer_id: str, helpful: bool, comment: str | None) -> None:
        self._run(lambda db: sessions.record_feedback(db, answer_id=answer_id, helpful=helpful, comment=comment))

    def purge_older_than(self, days: int) -> dict[str, int]:
        """Forget conversations older than `days` (bot.store.retention says what is kept)."""
        deleted = self._run(lambda db: retention.purge_before(db, now_utc() - timedelta(days=days)))
        if any(deleted.values()):
            log.info("retention: purged %s older than %d days", ", ".join(f"{n} {table}" for table, n in deleted.items()), days)
        return deleted

    def unanswered(self, kb: str | None = None, limit: int = 500, since: datetime | None = None) -> list[dict]:
        return self._run(
            lambda db: [
                {"question": a.question, "reason": a.handoff_reason, "created_at": a.created_at, "kb": a.kb}
                for a in sessions.unanswered_questions(db, kb=kb, limit=limit, since=since)
            ]
        )

    def unhelpful(self, kb: str, since: datetime, limit: int) -> list[dict]:
        """没帮助 feedback with the question and the answer it was given, newest first."""
        return self._run(
            lambda db: [
                {"answer_id": a.id, "question": a.question, "answer": a.answer, "comment": f.comment, "created_at": f.created_at, "index_version": a.index_version}
                for f, a in sessions.unhelpful_answers(db, kb, since, limit)
            ]
        )


def urgent_ticket(db, session_id: str, text: str, key_secret: str) -> str:
    """The session's open ticket becomes urgent; with none open, a new urgent ticket is made
    from the contact details the session already has."""
    chat = db.get(sessions.ChatSession, session_id)
    current = db.get(tickets.Ticket, chat.ticket_id) if chat.ticket_id else None
    if current is not None and current.status in (TicketStatus.open, TicketStatus.assigned):
        return tickets.escalate_to_urgent(db, current.id).id  # the message itself reaches it with the turn (record_turn)
    ticket = tickets.create_ticket(
        db, name=chat.contact["name"], phone=chat.contact["phone"], reason=HandoffReason.urgent.value, priority=Priority.urgent.value,
        channel=chat.channel, session_id=chat.id, key_secret=key_secret, transcript=sessions.transcript(db, chat.id), kb=chat.kb,
    ).ticket
    chat.ticket_id = ticket.id
    return ticket.id


def detected_reason(db, chat, fields: dict | None) -> HandoffReason:
    """Why a ticket is opened, from what the server saw: an urgent matter in the complaint's own
    words or anywhere in the chat session, else the session's last handoff, else a request for a
    person. The request's `reason` is never read: customers must not choose their urgency."""
    if any(detect_request(value) == HandoffReason.urgent for value in (fields or {}).values() if isinstance(value, str)):
        return HandoffReason.urgent
    reasons = sessions.handoff_reasons(db, chat.id) if chat else []
    if HandoffReason.urgent.value in reasons:
        return HandoffReason.urgent
    return HandoffReason(reasons[0]) if reasons else HandoffReason.user_request


def ticket_view(db, ticket, with_messages: bool = True) -> dict:
    view = {
        "id": ticket.id, "kb": ticket.kb, "status": ticket.status, "priority": ticket.priority, "reason": ticket.reason,
        "channel": ticket.channel, "name": ticket.name, "phone": ticket.phone, "fields": ticket.fields,
        "assignee": ticket.assignee, "sla_due_at": ticket.sla_due_at, "created_at": ticket.created_at,
        "updated_at": ticket.updated_at, "messages": [],
    }
    if with_messages:
        view["messages"] = [
            {"role": m.role, "author": m.author, "text": m.text, "created_at": m.created_at}
            for m in tickets.ticket_messages(db, ticket.id)
        ]
    return view
