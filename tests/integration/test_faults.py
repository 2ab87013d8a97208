"""Faults on real parts: a `kefu serve` killed with SIGKILL and restarted on the same SQLite file,
a database locked by another writer or unreachable, a corrupted index version under a running app."""

import logging
import os
import signal
import sqlite3

import httpx
import psycopg
import pytest
from fastapi.testclient import TestClient

from bench.loadgen import free_port
from bot.app import create_app
from bot.replies import TICKETS_UNAVAILABLE
from indexer.build import build_index
from indexer.versions import DENSE_FILE

from conftest import SMALL, make_settings, make_small_kb
from web_support import ADMIN_TOKEN, AGENT_TOKEN, start_server


def table_rows(db_path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(db_path) as connection:
        return connection.execute(sql, params).fetchall()


def test_everything_written_before_a_kill_9_is_there_after_restart(built_settings, tmp_path):
    db_path, log_path = tmp_path / "kefu.db", tmp_path / "serve.log"
    agent = {"Authorization": f"Bearer {AGENT_TOKEN}"}
    process, base = start_server(built_settings.data_dir, db_path, log_path)
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            first = http.post("/api/ask", json={"question": "电话铃响几声必须接听"}).json()
            session = first["session_id"]
            handoff = http.post("/api/ask", json={"question": "我要投诉", "session_id": session}).json()
            assert http.post("/api/feedback", json={"answer_id": first["answer_id"], "helpful": True, "comment": "有用"}).status_code == 204
            created = http.post("/api/tickets", json={"session_id": session, "name": "周九", "phone": "13800138000"}, headers={"Idempotency-Key": "kill-9"}).json()
            ticket_id = created["ticket_id"]
            assert http.patch(f"/api/tickets/{ticket_id}", json={"note": "已登记"}, headers=agent).status_code == 200
            assert http.get("/api/search", params={"q": "13800138000"}).status_code == 200  # a phone in a logged URL
    finally:
        process.send_signal(signal.SIGKILL)  # no shutdown hook runs: only what was committed survives
        process.wait()

    process, base = start_server(built_settings.data_dir, db_path, log_path)
    try:
        with httpx.Client(base_url=base, timeout=60) as http:
            ticket = http.get(f"/api/tickets/{ticket_id}", params={"key": created["access_key"]})
            assert ticket.status_code == 200
            body = ticket.json()
            assert (body["name"], body["phone"], body["priority"]) == ("周九", "13800138000", "high")
            texts = [m["text"] for m in body["messages"]]
            assert texts[:2] == ["电话铃响几声必须接听", first["answer"]] and "我要投诉" in texts and "已登记" in texts
            retried = http.post("/api/tickets", json={"session_id": session, "name": "周九", "phone": "13800138000"}, headers={"Idempotency-Key": "kill-9"}).json()
            assert retried["ticket_id"] == ticket_id  # no duplicate after the restart
            assert retried["access_key"] == created["access_key"]  # and the session's retry gets its key again
            again = http.post("/api/ask", json={"question": "转人工", "session_id": session}).json()
            assert again["session_id"] == session  # the session lived through the kill
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()

    assert table_rows(db_path, "SELECT helpful, comment FROM feedback WHERE answer_id = ?", first["answer_id"]) == [(1, "有用")]
    answers = {row[0] for row in table_rows(db_path, "SELECT id FROM answers WHERE session_id = ?", session)}
    assert {first["answer_id"], handoff["answer_id"]} <= answers
    assert table_rows(db_path, "SELECT COUNT(*) FROM tickets WHERE idempotency_key = 'kill-9'") == [(1,)]
    log = log_path.read_text(errors="replace")
    assert AGENT_TOKEN not in log and ADMIN_TOKEN not in log
    assert "13800138000" not in log and "138****8000" in log  # the phone in the access log is masked
    assert created["access_key"] not in log and "key=***" in log  # so is the customer's access key


@pytest.fixture
def store_settings(built_settings, tmp_path):
    return built_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path / 'kefu.db'}", "store_timeout_seconds": 0.3})


def test_a_locked_database_gives_503_on_tickets_while_questions_are_answered(store_settings, encoder, tmp_path):
    contact = {"name": "吴十", "phone": "13900139000"}
    with TestClient(create_app(store_settings, encoder=encoder)) as client:
        assert client.post("/api/tickets", json=contact).status_code == 201
        blocker = sqlite3.connect(tmp_path / "kefu.db", isolation_level=None)
        blocker.execute("BEGIN EXCLUSIVE")  # another writer holds the database
        try:
            refused = client.post("/api/tickets", json=contact)
            assert refused.status_code == 503
            assert refused.json() == {"error": {"code": "store_unavailable", "message": refused.json()["error"]["message"]}}
            answered = client.post("/api/ask", json={"question": "电话铃响几声必须接听"})
            assert answered.status_code == 200 and answered.json()["band"] == "answer"
            handoff = client.post("/api/ask", json={"question": "转人工"}).json()
            assert handoff["handoff"]["needed"] and handoff["answer"].endswith(TICKETS_UNAVAILABLE)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert client.post("/api/tickets", json=contact).status_code == 201  # back once the lock is gone
        assert TICKETS_UNAVAILABLE not in client.post("/api/ask", json={"question": "转人工"}).json()["answer"]


def test_a_database_unreachable_at_start_is_retried_when_it_comes_back(built_settings, encoder, tmp_path):
    blocked = tmp_path / "db-dir"
    blocked.write_text("a file where the database folder should be")
    settings = built_settings.model_copy(update={"database_url": f"sqlite:///{blocked / 'kefu.db'}", "store_timeout_seconds": 0.3})
    with TestClient(create_app(settings, encoder=encoder)) as client:
        assert client.get("/readyz").json()["store"] is False
        handoff = client.post("/api/ask", json={"question": "转人工"})
        assert handoff.status_code == 200 and handoff.json()["answer"].endswith(TICKETS_UNAVAILABLE)
        refused = client.post("/api/tickets", json={"name": "郑一", "phone": "13700137000"})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "unavailable"
        blocked.unlink()
        blocked.mkdir()  # the database is reachable again
        created = client.post("/api/tickets", json={"name": "郑一", "phone": "13700137000"})
        assert created.status_code == 201
        assert client.get("/readyz").json()["store"] is True
        session = client.post("/api/ask", json={"question": "转人工"}).json()
        assert TICKETS_UNAVAILABLE not in session["answer"]
        follow = client.post("/api/ask", json={"question": "要多久", "session_id": session["session_id"]}).json()
        assert follow["session_id"] == session["session_id"]  # sessions are remembered again


def test_a_corrupted_version_is_refused_by_the_server_and_a_reindex_rebuilds_it(tmp_path, encoder, caplog):
    settings = make_settings(tmp_path, kb_dir=make_small_kb(tmp_path / "kb").parent)
    older = build_index(settings, SMALL, encoder=encoder).version
    newer = build_index(settings, SMALL, encoder=encoder)
    with (newer.path / DENSE_FILE).open("r+b") as handle:  # one flipped byte in the middle
        handle.seek(os.path.getsize(newer.path / DENSE_FILE) // 2)
        byte = handle.read(1)
        handle.seek(-1, os.SEEK_CUR)
        handle.write(bytes([byte[0] ^ 0xFF]))
    with caplog.at_level(logging.ERROR), TestClient(create_app(settings, encoder=encoder)) as client:
        assert client.get("/readyz").json()["index_versions"] == {SMALL: older}
        assert f"refusing index version {newer.version}" in caplog.text and f"checksum mismatch for {DENSE_FILE}" in caplog.text
        assert client.post("/api/ask", json={"question": "保质期满的产品能退吗"}).json()["band"] == "answer"
        admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
        assert client.post(f"/api/admin/kbs/{SMALL}/reindex", params={"force": True}, headers=admin).status_code == 202
        status = client.app.state.bot.reindexer.wait(SMALL, timeout=300)
        assert status["state"] == "done" and status["version"] > newer.version
        assert client.get("/readyz").json()["index_versions"] == {SMALL: status["version"]}


def test_a_locked_postgresql_table_gives_503_on_tickets_within_the_store_timeout(built_settings, encoder, postgres_url):
    """PostgreSQL waits for a lock forever unless told otherwise: the store timeout must bound it."""
    settings = built_settings.model_copy(update={"database_url": postgres_url, "store_timeout_seconds": 0.3})
    contact = {"name": "吴十", "phone": "13900139000"}
    with TestClient(create_app(settings, encoder=encoder)) as client:
        assert client.post("/api/tickets", json=contact).status_code == 201
        with psycopg.connect(postgres_url) as blocker:
            blocker.execute("LOCK TABLE tickets IN ACCESS EXCLUSIVE MODE")  # another writer holds the table
            refused = client.post("/api/tickets", json=contact)
            assert refused.status_code == 503 and refused.json()["error"]["code"] == "store_unavailable"
            answered = client.post("/api/ask", json={"question": "电话铃响几声必须接听"})
            assert answered.status_code == 200 and answered.json()["band"] == "answer"
        assert client.post("/api/tickets", json=contact).status_code == 201  # back once the lock is gone


def test_an_unreachable_postgresql_gives_503_on_tickets_while_questions_are_answered(built_settings, encoder):
    nothing_listens = free_port()
    settings = built_settings.model_copy(update={"database_url": f"postgresql://kefu@127.0.0.1:{nothing_listens}/kefu", "store_timeout_seconds": 0.3})
    with TestClient(create_app(settings, encoder=encoder)) as client:
        assert client.get("/readyz").json()["store"] is False
        refused = client.post("/api/tickets", json={"name": "郑一", "phone": "13700137000"})
        assert refused.status_code == 503 and refused.json()["error"]["code"] == "unavailable"
        handoff = client.post("/api/ask", json={"question": "转人工"})
        assert handoff.status_code == 200 and handoff.json()["answer"].endswith(TICKETS_UNAVAILABLE)
