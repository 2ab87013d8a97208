"""Customer- and agent-facing endpoints: ask, search, feedback, tickets. Thin: parse, call, shape."""

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request

from bot.api.deps import AgentDep, BotDep, RecordsDep, ServiceDep, limit, presented_token
from bot.api.schemas import (
    AskRequest,
    AskResponse,
    FeedbackRequest,
    KbOut,
    SearchResponse,
    TicketCreate,
    TicketCreated,
    TicketMessageIn,
    TicketOut,
    TicketPage,
    TicketPatch,
)
from bot.auth import check_token
from bot.errors import InvalidRequest, Unauthorized
from bot.replies import callback_promise
from bot.service import check_question
from kefu.vocab import Priority, TicketStatus

router = APIRouter(prefix="/api")
PAGE_SIZE, MAX_PAGE = 50, 200  # tickets per page of the queue: by default, and the most one request may ask for


@router.post("/ask", response_model=AskResponse, dependencies=[limit("ask")], summary="Answer a question with cited passages, or hand off")
def ask(body: AskRequest, service: ServiceDep, request: Request) -> dict:
    result = service.ask(body.question, body.session_id, body.persona, body.channel, body.kb, body.passage_id)
    request.app.state.metrics.observe_answer(result)
    return result.to_dict()


@router.get("/search", response_model=SearchResponse, summary="Passages for a quick lookup, no answer composed")
def search(
    service: ServiceDep, q: Annotated[str, Query(max_length=2000)], k: Annotated[int, Query(ge=1, le=50)] = 5,
    kb: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")] = None,
) -> dict:
    return service.search(check_question(q, service.settings.max_question_chars), k, kb)


@router.get("/kbs", response_model=list[KbOut], summary="The knowledge bases: name, greeting and quick questions for the widget")
def kbs(bot: BotDep) -> list[dict]:
    readers = bot.service.readers
    return [{**kb.public(), "indexed": kb.id in readers} for kb in bot.service.kbs.values()]


@router.post("/feedback", status_code=204, summary="Was an answer helpful?")
def feedback(body: FeedbackRequest, records: RecordsDep) -> None:
    records.record_feedback(body.answer_id, body.helpful, body.comment)


@router.post("/tickets", status_code=201, response_model=TicketCreated, dependencies=[limit("tickets")], summary="Open a ticket for a person to call back")
def create_ticket(body: TicketCreate, records: RecordsDep, idempotency_key: Annotated[str | None, Header(max_length=128)] = None) -> dict:
    ticket, key = records.create_ticket(body, idempotency_key)
    due = ticket["sla_due_at"].astimezone().strftime("%Y-%m-%d %H:%M")
    return {
        "ticket_id": ticket["id"], "access_key": key, "status": ticket["status"], "priority": ticket["priority"],
        "sla_due_at": ticket["sla_due_at"], "message": callback_promise(due),
    }


@router.get("/tickets", response_model=TicketPage, dependencies=[AgentDep], summary="The queue, one page at a time: urgent and overdue first")
def list_tickets(
    records: RecordsDep,
    status: TicketStatus | None = None,
    priority: Priority | None = None,
    kb: Annotated[str | None, Query(max_length=40, pattern=r"^[a-z][a-z0-9-]*$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE_SIZE,
    offset: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> dict:
    return records.list_tickets(status and status.value, priority and priority.value, limit, offset, kb)


@router.get("/tickets/{ticket_id}", response_model=TicketOut, summary="A ticket: agents with their token, customers with the access key")
def get_ticket(ticket_id: str, records: RecordsDep, request: Request, key: Annotated[str | None, Query(max_length=128)] = None) -> dict:
    token = presented_token(request.headers.get("authorization"))
    tokens = request.app.state.tokens  # the same object require_agent reads
    as_agent = False
    if token:
        check_token(token, tokens.agent, tokens.admin)
        as_agent = True
    elif not key:
        raise Unauthorized("需要坐席令牌或工单访问码 / an agent token or the ticket's access key is required")
    return records.get_ticket(ticket_id, key, as_agent=as_agent)


@router.patch("/tickets/{ticket_id}", response_model=TicketOut, dependencies=[AgentDep], summary="Change status, assignee, add a note")
def patch_ticket(ticket_id: str, body: TicketPatch, records: RecordsDep) -> dict:
    if body.status is None and body.assignee is None and body.note is None and body.priority is None:
        raise InvalidRequest("没有要修改的内容 / nothing to change: give status, priority, assignee or note")
    return records.update_ticket(ticket_id, body, author=body.author)


@router.post("/tickets/{ticket_id}/messages", response_model=TicketOut, dependencies=[AgentDep], summary="An agent's reply to the customer")
def post_message(ticket_id: str, body: TicketMessageIn, records: RecordsDep) -> dict:
    return records.add_agent_message(ticket_id, body.text, body.author)

