"""The editors' hit test through the real app, model and index: what /api/ask answers a new
session, with the ranked passages /api/search gives and every score; nothing recorded or
counted; each refusal."""

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.app import create_app
from bot.features import FEATURES
from bot.ranking import RERANK_DEPTH
from bot.store.models import AnswerLog, ChatSession

QUESTIONS = [
    ("dairy", "电话铃响几声必须接听", "customer"),
    ("dairy", "电话铃响几声必须接听", "agent"),
    ("lighting", "保质期满的产品能退吗", "customer"),
    ("lighting", "买的灯不亮了多久派人上门", "customer"),  # the 您是想问 band
    ("lighting", "今天天气怎么样", "customer"),  # handed off
]


@pytest.fixture(scope="module")
def client(built_settings, encoder, tmp_path_factory):
    settings = built_settings.model_copy(update={"database_url": f"sqlite:///{tmp_path_factory.mktemp('hit') / 'kefu.db'}"})
    with TestClient(create_app(settings, encoder=encoder)) as test_client:
        test_client.headers["Authorization"] = f"Bearer {test_client.app.state.tokens.admin}"
        yield test_client


def hit(client, kb, question, persona="customer"):
    response = client.post("/api/admin/hit-test", json={"kb": kb, "question": question, "persona": persona})
    assert response.status_code == 200, response.text
    return response.json()


def recorded(client) -> tuple[int, int, str]:
    """Answers and sessions stored, and the answer counters of /metrics."""
    with client.app.state.bot.records.store.session() as db:
        answers, sessions = db.scalar(select(func.count()).select_from(AnswerLog)), db.scalar(select(func.count()).select_from(ChatSession))
    counters = "\n".join(line for line in client.get("/metrics").text.splitlines() if re.match(r"kefu_(answers|handoffs)_total\{", line))
    return answers, sessions, counters


@pytest.mark.parametrize("kb,question,persona", QUESTIONS)
def test_the_hit_test_answers_exactly_as_the_bot_does_and_shows_why(client, kb, question, persona):
    tested = hit(client, kb, question, persona)
    asked = client.post("/api/ask", json={"question": question, "kb": kb, "persona": persona}).json()
    for field in ("band", "confidence", "answer", "citations", "suggestions", "handoff"):
        assert tested[field] == asked[field], field
    assert set(tested["signals"]) == set(FEATURES)  # what the decision model computed the confidence from
    passages = tested["passages"]
    assert [p["rank"] for p in passages] == list(range(1, len(passages) + 1)) and len(passages) == RERANK_DEPTH
    service = client.app.state.bot.service
    order = [p["probability"] if service.decision.rerank else p["score"] for p in passages]
    assert order == sorted(order, reverse=True)  # in the order the bot answers from
    assert all(set(p["features"]) == set(FEATURES) for p in passages)
    assert {k: round(v, 4) for k, v in passages[0]["features"].items()} == tested["signals"]
    shown = [p["id"] for p in passages]
    assert all(c["id"] in shown for c in tested["citations"]) and all(s["id"] in shown for s in tested["suggestions"])
    if tested["citations"]:
        assert tested["citations"][0]["id"] == shown[0]
    if persona == "agent":  # the console's search ranks as an agent's question: the same passages, the same scores
        searched = client.get("/api/search", params={"q": question, "k": RERANK_DEPTH, "kb": kb}).json()["results"]
        assert shown == [r["id"] for r in searched]
        assert [(p["score"], p["dense_score"], p["bm25_score"]) for p in passages] == [(r["score"], r["dense_score"], r["bm25_score"]) for r in searched]
    assert tested["thresholds"] == {"answer": service.decision.answer_threshold_for(persona), "suggest": service.decision.suggest_threshold}
    assert tested["index_version"].startswith(kb + ":")


def test_the_bands_are_all_reached(client):
    assert {hit(client, kb, q, p)["band"] for kb, q, p in QUESTIONS} == {"answer", "suggest", "handoff"}


def test_a_hit_test_is_neither_recorded_nor_counted(client):
    before = recorded(client)
    for kb, question, persona in QUESTIONS:
        hit(client, kb, question, persona)
    assert recorded(client) == before
    client.post("/api/ask", json={"question": "电话铃响几声必须接听", "kb": "dairy"})
    assert recorded(client) != before  # what the hit test leaves alone does move for a customer's question


@pytest.mark.parametrize("body,status,code", [
    ({"kb": "nosuch", "question": "你好"}, 404, "unknown_kb"),
    ({"kb": "Dairy!", "question": "你好"}, 422, "invalid_request"),
    ({"kb": "dairy", "question": " "}, 422, "empty_question"),
    ({"kb": "dairy", "question": "问" * 2001}, 413, "question_too_long"),
    ({"kb": "dairy", "question": "你好", "persona": "admin"}, 422, "invalid_request"),
    ({"question": "你好"}, 422, "invalid_request"),
])
def test_a_bad_hit_test_is_refused(client, body, status, code):
    response = client.post("/api/admin/hit-test", json=body)
    assert response.status_code == status and response.json()["error"]["code"] == code, response.text
