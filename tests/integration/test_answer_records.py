"""What an answer writes to the store, and in how many transactions: the session, the answer log
and both turns together in one, on a real SQLite file and a real PostgreSQL server. The
candidates' headings and associated questions are cut once per index version, not per answer."""

import uuid
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, text

from bot.app import create_app
from kefu.vocab import Persona

from conftest import store_url


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def client(request, built_settings, encoder, tmp_path_factory):
    url = store_url(request, tmp_path_factory)
    # No retention purge: its start-up transaction would be counted with the first answer's.
    settings = built_settings.model_copy(update={"database_url": url, "ticket_rate_per_minute": 1000, "retention_days": 0})
    with TestClient(create_app(settings, encoder=encoder)) as test_client:
        assert test_client.app.state.bot.records is not None, f"the {request.param} store did not open"
        yield test_client


class Commits:
    """Transactions the store's engine commits while the block runs."""

    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _committed(self, _connection):
        self.count += 1

    def __enter__(self):
        event.listen(self.engine, "commit", self._committed)
        return self

    def __exit__(self, *_):
        event.remove(self.engine, "commit", self._committed)


class Durability:
    """Whether each transaction committed while the block runs waited for the disk: SQLite's
    `synchronous` (2 FULL, 1 NORMAL), PostgreSQL's `synchronous_commit`, read at the commit."""

    QUERY = {"sqlite": "PRAGMA synchronous", "postgresql": "SHOW synchronous_commit"}
    DURABLE = {"sqlite": (2,), "postgresql": ("on",)}

    def __init__(self, engine):
        self.engine, self.seen = engine, []

    def _committing(self, connection):
        setting = connection.exec_driver_sql(self.QUERY[self.engine.dialect.name]).scalar()
        self.seen.append(setting in self.DURABLE[self.engine.dialect.name])

    def __enter__(self):
        event.listen(self.engine, "commit", self._committing)
        return self

    def __exit__(self, *_):
        event.remove(self.engine, "commit", self._committing)


def engine_of(client):
    return client.app.state.bot.records.store.engine


def ask(client, question, session_id=None):
    body = {"question": question, **({"session_id": session_id} if session_id else {})}
    response = client.post("/api/ask", json=body)
    assert response.status_code == 200, response.text
    return response.json()


def rows(client, sql, **params):
    with engine_of(client).connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def test_an_answer_and_a_follow_up_are_each_recorded_in_one_transaction(client):
    with Commits(engine_of(client)) as first_commits:
        first = ask(client, "质量投诉需要在多长时间内通知所在大区")
    with Commits(engine_of(client)) as follow_commits:
        follow = ask(client, "那要记录哪些内容呢", first["session_id"])
    assert (first_commits.count, follow_commits.count) == (1, 1)
    session = first["session_id"]
    assert follow["session_id"] == session
    assert rows(client, "SELECT id FROM answers WHERE session_id = :s ORDER BY created_at", s=session) == [(first["answer_id"],), (follow["answer_id"],)]
    turns = rows(client, "SELECT role, text, answer_id FROM turns WHERE session_id = :s ORDER BY id", s=session)
    assert turns == [
        ("user", "质量投诉需要在多长时间内通知所在大区", None), ("bot", first["answer"], first["answer_id"]),
        ("user", "那要记录哪些内容呢", None), ("bot", follow["answer"], follow["answer_id"]),
    ]
    [(last, streak, persona, channel)] = rows(client, "SELECT last_question, low_confidence_streak, persona, channel FROM chat_sessions WHERE id = :s", s=session)
    assert last == follow["resolved_question"] and (streak, persona, channel) == (0, "customer", "api")


def test_the_low_confidence_streak_counts_in_the_one_transaction(client):
    first = ask(client, "你们公司股价最近怎么样啊我想买点")
    with Commits(engine_of(client)) as commits:
        second = ask(client, "火星上可以送货吗", first["session_id"])
    assert commits.count == 1 and second["handoff"]["reason"] == "repeated_failure"
    assert rows(client, "SELECT low_confidence_streak FROM chat_sessions WHERE id = :s", s=first["session_id"]) == [(2,)]
    answered = ask(client, "质量投诉需要在多长时间内通知所在大区", first["session_id"])
    assert answered["handoff"]["needed"] is False
    assert rows(client, "SELECT low_confidence_streak FROM chat_sessions WHERE id = :s", s=first["session_id"]) == [(0,)]


def test_a_session_deleted_between_reading_and_recording_is_recorded_again(client):
    """Retention may purge a session while its answer is being composed: the answer is still
    logged, under the session id the customer was given."""
    service = client.app.state.bot.service
    first = service.ask("质量投诉需要在多长时间内通知所在大区", kb="dairy")
    state = service.store.session_state(first.session_id, "customer", "api", "dairy")
    assert state["id"] == first.session_id and state["new"] is False
    with engine_of(client).begin() as connection:
        for table, column in (("turns", "session_id"), ("answers", "session_id"), ("chat_sessions", "id")):
            connection.execute(text(f"DELETE FROM {table} WHERE {column} = :s"), {"s": first.session_id})
    late = replace(first, answer_id=uuid.uuid4().hex)
    service.store.record_turn(state, "那要记录哪些内容呢", "那要记录哪些内容呢", late, "dairy:1", 30)
    assert rows(client, "SELECT id FROM answers WHERE session_id = :s", s=first.session_id) == [(late.answer_id,)]
    assert rows(client, "SELECT kb, last_question FROM chat_sessions WHERE id = :s", s=first.session_id) == [("dairy", "那要记录哪些内容呢")]


def test_an_urgent_matter_escalates_the_ticket_in_the_answers_transaction(client):
    session = ask(client, "转人工")["session_id"]
    created = client.post("/api/tickets", json={"session_id": session, "name": "钱七", "phone": "13800000001"}).json()
    with Commits(engine_of(client)) as commits:
        urgent = ask(client, "我家孩子喝了你们的奶住院了", session)
    assert commits.count == 1 and urgent["handoff"]["ticket_id"] == created["ticket_id"]
    assert rows(client, "SELECT priority FROM tickets WHERE id = :t", t=created["ticket_id"]) == [("urgent",)]
    assert rows(client, "SELECT count(*) FROM answers WHERE id = :a", a=urgent["answer_id"]) == [(1,)]


def test_an_answers_log_does_not_wait_for_the_disk_but_a_ticket_does(client):
    with Durability(engine_of(client)) as answer:
        session = ask(client, "牛奶的配送时间是几点")["session_id"]
    with Durability(engine_of(client)) as ticket:
        created = client.post("/api/tickets", json={"session_id": session, "name": "周八", "phone": "13800000002"})
    with Durability(engine_of(client)) as follow:  # the answer also goes to the open ticket's transcript
        ask(client, "那周末送吗", session)
    with Durability(engine_of(client)) as later:  # a pooled connection is not left relaxed
        client.patch(f"/api/tickets/{created.json()['ticket_id']}", json={"assignee": "客服小李"}, headers={"Authorization": f"Bearer {client.app.state.tokens.agent}"})
    assert created.status_code == 201
    assert (answer.seen, ticket.seen, follow.seen, later.seen) == ([False], [True], [True], [True])


def test_a_silenced_session_forwards_in_one_transaction(client):
    agent = {"Authorization": f"Bearer {client.app.state.tokens.agent}"}
    session = ask(client, "转人工")["session_id"]
    created = client.post("/api/tickets", json={"session_id": session, "name": "李四", "phone": "13800000005"}).json()
    client.patch(f"/api/tickets/{created['ticket_id']}", json={"assignee": "客服小王"}, headers=agent)
    with Commits(engine_of(client)) as commits:
        silent = ask(client, "我还在等", session)
    assert commits.count == 1 and silent["handoff"]["ticket_id"] == created["ticket_id"]
    messages = client.get(f"/api/tickets/{created['ticket_id']}", headers=agent).json()["messages"]
    assert messages[-1]["text"] == "我还在等"


def test_an_index_is_cut_into_tokens_when_it_is_loaded_not_by_the_questions(client, monkeypatch):
    """Passages, sentences, headings and associated questions are cut when a version is loaded
    (here: the dairy index loaded again, as a re-index would): answering its first question
    cuts the question alone, and the features are those the lazily filled memo gave."""
    from bot.reader import Reader

    service = client.app.state.bot.service
    question = "电话铃响几声必须接听"
    before = service.rank(question, Persona.customer, "dairy")
    service.use_reader(Reader.from_index(service.readers["dairy"].index, service.tokenizer))
    cut: list[str] = []
    tokenize = service.tokenizer.tokenize
    monkeypatch.setattr(service.tokenizer, "tokenize", lambda text: cut.append(text) or tokenize(text))
    outcome = service.decide(question, Persona.customer, 0, "dairy")
    assert cut == [question]  # the question's own cut, nothing of the index
    assert service.rank(question, Persona.customer, "dairy").features == before.features and outcome.hits


def test_an_urgent_ticket_opened_by_an_answer_is_named_in_the_stored_reply_too(client):
    """A session whose ticket was closed still has the customer's contact: an urgent message
    opens a new urgent ticket in the answer's transaction, and what the customer was told (its
    number) is what the answer log, the turns and the new ticket's transcript hold."""
    agent = {"Authorization": f"Bearer {client.app.state.tokens.agent}"}
    session = ask(client, "转人工")["session_id"]
    first = client.post("/api/tickets", json={"session_id": session, "name": "吴九", "phone": "13800000009"}).json()
    assert client.patch(f"/api/tickets/{first['ticket_id']}", json={"status": "closed"}, headers=agent).status_code == 200
    urgent = ask(client, "我家孩子喝了你们的奶住院了", session)
    opened = urgent["handoff"]["ticket_id"]
    assert opened and opened != first["ticket_id"] and opened in urgent["answer"]
    assert rows(client, "SELECT answer FROM answers WHERE id = :a", a=urgent["answer_id"]) == [(urgent["answer"],)]
    assert rows(client, "SELECT text FROM turns WHERE answer_id = :a", a=urgent["answer_id"]) == [(urgent["answer"],)]
    messages = client.get(f"/api/tickets/{opened}", headers=agent).json()["messages"]
    assert [m["text"] for m in messages[-2:]] == ["我家孩子喝了你们的奶住院了", urgent["answer"]]
