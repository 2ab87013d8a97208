"""Personal data is not kept for ever: sessions, turns, answers and feedback older than
KEFU_RETENTION_DAYS are purged by the running server itself, open tickets and every ticket's
transcript never; the database and the tokens file are readable by their owner alone.
Through the real app, model, index and SQLite file."""

import threading
import time
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from bot.app import create_app
from bot.retention import RetentionPurger
from bot.store.models import AnswerLog, ChatSession, Feedback, Ticket, TicketMessage, Turn, now_utc

from web_support import server_settings


def converse(client, question: str, contact: dict | None = None, close: bool = False) -> str:
    """A session with one question, its feedback, and optionally a ticket (closed if asked)."""
    answer = client.post("/api/ask", json={"question": question}).json()
    assert client.post("/api/feedback", json={"answer_id": answer["answer_id"], "helpful": False}).status_code == 204
    if contact:
        ticket = client.post("/api/tickets", json={"session_id": answer["session_id"], **contact}).json()
        if close:
            agent = {"Authorization": f"Bearer {client.app.state.tokens.agent}"}
            assert client.patch(f"/api/tickets/{ticket['ticket_id']}", json={"status": "closed"}, headers=agent).status_code == 200
    return answer["session_id"]


def backdate(store, session_ids: list[str], days: int) -> None:
    """Everything of these sessions, as if written `days` ago."""
    old = now_utc() - timedelta(days=days)
    answers = select(AnswerLog.id).where(AnswerLog.session_id.in_(session_ids))
    with store.session() as db:
        db.execute(update(ChatSession).where(ChatSession.id.in_(session_ids)).values(created_at=old, updated_at=old, expires_at=old))
        db.execute(update(Turn).where(Turn.session_id.in_(session_ids)).values(created_at=old))
        db.execute(update(Feedback).where(Feedback.answer_id.in_(answers)).values(created_at=old))
        db.execute(update(AnswerLog).where(AnswerLog.session_id.in_(session_ids)).values(created_at=old))


def rows_of(store, session_id: str) -> dict[str, int]:
    answers = select(AnswerLog.id).where(AnswerLog.session_id == session_id)
    with store.session() as db:
        return {
            "session": db.scalar(select(func.count()).where(ChatSession.id == session_id)),
            "turns": db.scalar(select(func.count()).where(Turn.session_id == session_id)),
            "answers": db.scalar(select(func.count()).where(AnswerLog.session_id == session_id)),
            "feedback": db.scalar(select(func.count()).where(Feedback.answer_id.in_(answers))),
            "ticket messages": db.scalar(
                select(func.count()).select_from(TicketMessage).join(Ticket, Ticket.id == TicketMessage.ticket_id).where(Ticket.session_id == session_id)
            ),
        }


def test_old_conversations_are_purged_by_the_server_itself_and_open_tickets_kept(built_settings, encoder, tmp_path):
    settings = server_settings(built_settings, tmp_path).model_copy(update={"retention_days": 30})
    with TestClient(create_app(settings, encoder=encoder)) as client:
        old_chat = converse(client, "保质期满的产品能退吗")
        old_open = converse(client, "转人工", {"name": "冯一", "phone": "13800000021"})
        old_closed = converse(client, "我要投诉", {"name": "冯二", "phone": "13800000022"}, close=True)
        recent = converse(client, "电话铃响几声必须接听")
        store = client.app.state.bot.records.store
        backdate(store, [old_chat, old_open, old_closed], days=31)

    with TestClient(create_app(settings, encoder=encoder)) as client:  # a restart: the purge runs by itself
        deadline = time.monotonic() + 30
        while rows_of(store, old_chat)["session"] and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rows_of(store, old_chat) == {"session": 0, "turns": 0, "answers": 0, "feedback": 0, "ticket messages": 0}
        closed = rows_of(store, old_closed)
        assert (closed["session"], closed["turns"], closed["answers"], closed["feedback"]) == (0, 0, 0, 0)
        assert closed["ticket messages"] >= 1  # a ticket's transcript is the ticket's, kept with it
        kept = rows_of(store, old_open)
        assert kept["session"] == 1 and kept["turns"] >= 2 and kept["answers"] == 1 and kept["ticket messages"] >= 1
        assert rows_of(store, recent) == {"session": 1, "turns": 2, "answers": 1, "feedback": 1, "ticket messages": 0}
        with store.session() as db:
            assert db.scalar(select(func.count()).select_from(Ticket)) == 2  # tickets are never purged


def test_the_purger_runs_again_at_its_interval_and_stops():
    runs = []
    ran_twice = threading.Event()

    def purge() -> None:
        runs.append(time.monotonic())
        if len(runs) >= 2:
            ran_twice.set()

    purger = RetentionPurger(purge, interval_seconds=0.1).start()
    assert ran_twice.wait(10)
    purger.stop()
    count = len(runs)
    time.sleep(0.3)
    assert len(runs) == count  # stopped: no run after stop()


def test_the_database_and_tokens_file_are_private(built_settings, encoder, tmp_path):
    settings = server_settings(built_settings, tmp_path)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        converse(client, "电话铃响几声必须接听")  # a write: the WAL and shared-memory files exist now
        files = [settings.data_dir / name for name in ("kefu.db", "kefu.db-wal", "kefu.db-shm", "tokens.json")]
        for path in files:
            assert path.exists() and path.stat().st_mode & 0o077 == 0, (path.name, oct(path.stat().st_mode))
