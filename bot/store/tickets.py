"""Tickets: a person takes over where the bot stops. Plain functions over a SQLAlchemy Session."""

import base64
import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy import case, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.store.errors import IdempotencyKeyReused, InvalidTicket, TicketNotFound
from bot.store.models import Ticket, TicketMessage, now_utc
from kefu.vocab import REQUIRED_COMPLAINT_FIELDS, ComplaintField, HandoffReason, MessageRole, Priority, TicketStatus, values

STATUSES = values(TicketStatus)
PRIORITIES = values(Priority)
REASONS = values(HandoffReason)
MESSAGE_ROLES = values(MessageRole)
COMPLAINT_FIELDS = values(ComplaintField)
MAX_TEXT = 5000
# The manuals' time limits. 000 第9条: a product-quality complaint is passed on 在2小时内;
# 002 (script 21): simple complaints are answered 2小时之内, complex ones 24小时之内. A question
# the manuals could not answer is treated as complex.
SLA_HOURS = {
    HandoffReason.urgent: 2, HandoffReason.user_request: 2,
    HandoffReason.low_confidence: 24, HandoffReason.out_of_scope: 24, HandoffReason.repeated_failure: 24,
}
_MOBILE = re.compile(r"^(?:\+?86)?1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}(?:-\d{1,6})?$")


def valid_phone(phone: str) -> bool:
    compacted = re.sub(r"[\s()]", "", phone)
    return bool(_MOBILE.match(compacted.replace("-", ""))) or bool(_LANDLINE.match(compacted))


def check_choice(field: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise InvalidTicket(field, f"只能是 {', '.join(allowed)} / must be one of {', '.join(allowed)}, not {value!r}")


def check_contact(name: str, phone: str) -> tuple[str, str]:
    name = (name or "").strip()
    if not 1 <= len(name) <= 50:
        raise InvalidTicket("name", "姓名需为 1-50 个字符 / the name must be 1 to 50 characters")
    if not valid_phone(phone or ""):
        raise InvalidTicket("phone", "请填写有效的手机或座机号码 / give a valid Chinese mobile or landline number")
    return name, phone.strip()


def check_fields(fields: dict | None) -> dict | None:
    if not fields:
        return None
    unknown = set(fields) - set(COMPLAINT_FIELDS)
    if unknown:
        raise InvalidTicket("fields", f"未知字段 {sorted(unknown)} / unknown fields; allowed: {', '.join(COMPLAINT_FIELDS)}")
    for key, value in fields.items():
        if not isinstance(value, str) or len(value) > 200:
            raise InvalidTicket(f"fields.{key}", "需为不超过 200 字的文本 / must be text of at most 200 characters")
    kept = {k: v.strip() for k, v in fields.items() if v.strip()}
    for required in REQUIRED_COMPLAINT_FIELDS:
        if kept and required.value not in kept:
            raise InvalidTicket(f"fields.{required.value}", f"投诉记录需填写{required.value} / a complaint record needs {required.value}")
    return kept or None


def sla_due(priority: str, reason: str, fields: dict | None, now: datetime) -> datetime:
    hours = 2 if priority == Priority.urgent or fields else SLA_HOURS[HandoffReason(reason)]
    return now + timedelta(hours=hours)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_ticket_id(now: datetime) -> str:
    return f"T{now:%Y%m%d}-{secrets.token_hex(3).upper()}"


class Opened(NamedTuple):
    ticket: Ticket
    access_key: str | None  # None when a replay may not be given it (see `replay`)
    new: bool  # False for a retry answered with the ticket its idempotency key first made


def access_key(secret: str, ticket_id: str) -> str:
    """The key a customer reads their ticket with. Derived from the server's secret rather than
    drawn at random, so that a retried request can be given it again; only its hash is stored."""
    digest = hmac.new(secret.encode(), f"ticket-access:{ticket_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def replay(first: Ticket, request: tuple, key_secret: str) -> Opened:
    """The ticket an idempotency key first made, with its access key or None, when `request` (name,
    phone, channel, session, fields) is a retry of the one that made it. Keys are chosen by
    clients, not scoped to one: a different request with the same key must not be answered with
    the first request's ticket, its own details silently dropped. The access key is given again
    only within the chat session that opened the ticket: a session id is unguessable, a
    client's idempotency key need not be."""
    if (first.name, first.phone, first.channel, first.session_id, first.fields) != request:
        raise IdempotencyKeyReused(
            "此 Idempotency-Key 已用于另一份工单申请(联系人、会话或详情不同),请换一个新的 / "
            "this Idempotency-Key was already used for a different ticket request (contact, session or details); send a new key"
        )
    key = access_key(key_secret, first.id)
    # Not a key the ticket cannot be read with: one made under an earlier secret, or another replica's.
    return Opened(first, key if first.session_id and check_access_key(first, key) else None, False)


def create_ticket(
    db: Session, *, name: str, phone: str, reason: str, priority: str, channel: str, session_id: str | None = None,
    key_secret: str, fields: dict | None = None, transcript=(), idempotency_key: str | None = None, now: datetime | None = None,
    kb: str | None = None,
) -> Opened:
    """The new ticket and its access key; a retry with the same idempotency key gets the first ticket (see `replay`)."""
    check_choice("reason", reason, REASONS)
    check_choice("priority", priority, PRIORITIES)
    name, phone = check_contact(name, phone)
    fields = check_fields(fields)
    request = (name, phone, channel, session_id, fields)
    if idempotency_key:
        existing = db.scalar(select(Ticket).where(Ticket.idempotency_key == idempotency_key))
        if existing:
            return replay(existing, request, key_secret)
    now = now or now_utc()
    ticket_id = new_ticket_id(now)
    key = access_key(key_secret, ticket_id)
    ticket = Ticket(
        id=ticket_id, access_key_hash=hash_key(key), idempotency_key=idempotency_key, session_id=session_id,
        status=TicketStatus.open.value, priority=priority, reason=reason, channel=channel, name=name, phone=phone, fields=fields,
        assignee=None, sla_due_at=sla_due(priority, reason, fields, now), created_at=now, updated_at=now, kb=kb,
    )
    try:
        with db.begin_nested():
            db.add(ticket)
            db.flush()
    except IntegrityError:
        existing = db.scalar(select(Ticket).where(Ticket.idempotency_key == idempotency_key)) if idempotency_key else None
        if existing is None:
            raise
        return replay(existing, request, key_secret)
    append_transcript(db, ticket.id, transcript, now)
    return Opened(ticket, key, True)


def append_transcript(db: Session, ticket_id: str, turns, now: datetime | None = None) -> None:
    """Chat turns (role "user" or "bot", text) as the ticket's messages, cut to MAX_TEXT: the
    conversation is copied, never refused."""
    now = now or now_utc()
    for role, text in turns:
        db.add(TicketMessage(ticket_id=ticket_id, role=(MessageRole.customer if role == "user" else MessageRole.bot).value, author=None, text=text[:MAX_TEXT], created_at=now))


def get_ticket(db: Session, ticket_id: str) -> Ticket:
    ticket = db.get(Ticket, ticket_id)
    if ticket is None:
        raise TicketNotFound(f"工单 {ticket_id} 不存在 / ticket {ticket_id} not found")
    return ticket


def check_access_key(ticket: Ticket, key: str) -> bool:
    return hmac.compare_digest(ticket.access_key_hash, hash_key(key))


def queue_filter(query, status: str | None, priority: str | None, kb: str | None = None):
    if kb:
        query = query.where(Ticket.kb == kb)
    if status:
        check_choice("status", status, STATUSES)
        query = query.where(Ticket.status == status)
    if priority:
        check_choice("priority", priority, PRIORITIES)
        query = query.where(Ticket.priority == priority)
    return query


def list_tickets(
    db: Session, *, status: str | None = None, priority: str | None = None, kb: str | None = None, limit: int = 50, offset: int = 0,
    now: datetime | None = None,
) -> list[Ticket]:
    """One page of the queue, of one knowledge base when `kb` is given: urgent first, then
    overdue, then by due time (the id breaks ties, so that pages follow one order)."""
    now = now or now_utc()
    urgent_first = case((Ticket.priority == Priority.urgent.value, 0), else_=1)
    overdue_first = case((Ticket.sla_due_at < now, 0), else_=1)
    query = queue_filter(select(Ticket), status, priority, kb).order_by(urgent_first, overdue_first, Ticket.sla_due_at, Ticket.id)
    return list(db.scalars(query.limit(limit).offset(offset)))


def count_tickets(db: Session, *, status: str | None = None, priority: str | None = None, kb: str | None = None) -> int:
    return db.scalar(queue_filter(select(func.count()).select_from(Ticket), status, priority, kb))


def update_ticket(
    db: Session, ticket_id: str, *, status: str | None = None, assignee: str | None = None, note: str | None = None,
    author: str | None = None, priority: str | None = None,
) -> Ticket:
    """An agent's changes. A priority raised to urgent brings the due time within the urgent
    limit; a lowered one keeps the time already promised."""
    ticket = get_ticket(db, ticket_id)
    now = now_utc()
    if priority is not None:
        check_choice("priority", priority, PRIORITIES)
        ticket.priority = priority
        if priority == Priority.urgent:
            ticket.sla_due_at = min(ticket.sla_due_at, sla_due(priority, ticket.reason, None, now))
    if assignee is not None:
        ticket.assignee = assignee.strip() or None
        if ticket.assignee and ticket.status == TicketStatus.open and status is None:
            ticket.status = TicketStatus.assigned.value
    if status is not None:
        check_choice("status", status, STATUSES)
        ticket.status = status
    if note:
        add_ticket_message(db, ticket_id, role=MessageRole.note.value, text=note, author=author)
    ticket.updated_at = now
    return ticket


def escalate_to_urgent(db: Session, ticket_id: str, now: datetime | None = None) -> Ticket:
    """An urgent matter raised in a session that already has a ticket: that ticket becomes urgent
    and due within the urgent time limit, if it was not due sooner already."""
    ticket = get_ticket(db, ticket_id)
    now = now or now_utc()
    ticket.priority, ticket.reason = Priority.urgent.value, HandoffReason.urgent.value
    ticket.sla_due_at = min(ticket.sla_due_at, sla_due(Priority.urgent, HandoffReason.urgent, None, now))
    ticket.updated_at = now
    return ticket


def add_ticket_message(db: Session, ticket_id: str, *, role: str, text: str, author: str | None = None) -> TicketMessage:
    check_choice("role", role, MESSAGE_ROLES)
    if not text.strip() or len(text) > MAX_TEXT:
        raise InvalidTicket("text", f"消息需为 1-{MAX_TEXT} 个字符 / the message must be 1 to {MAX_TEXT} characters")
    get_ticket(db, ticket_id)
    message = TicketMessage(ticket_id=ticket_id, role=role, author=author, text=text, created_at=now_utc())
    db.add(message)
    return message


def ticket_messages(db: Session, ticket_id: str) -> list[TicketMessage]:
    return list(db.scalars(select(TicketMessage).where(TicketMessage.ticket_id == ticket_id).order_by(TicketMessage.id)))
