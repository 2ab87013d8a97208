"""The HTTP API through the real app, real index and real model (answers, errors, tokens, health)."""

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app

MANUAL_QUESTIONS = [  # asked in their company's kb, as its widget asks them
    ("电话铃响几声必须接听", "dairy", "000", "电话铃响3声内"),
    ("保质期满的产品能退吗", "lighting", "003", "保质期满的产品"),
    ("投诉预警信息多久内要上报", "supermarket", "002", "30分钟内"),
    ("客户来电时首问语怎么说", "gas", "001", "请问有什么可以帮助您"),
    ("售后服务完成后多久进行电话回访", "appliance", "004", "48小时"),
]


@pytest.fixture(scope="module")
def client(built_settings, encoder):
    app = create_app(built_settings, encoder=encoder)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def tokens(client):
    return client.app.state.tokens


def ask(client, question, **extra):
    response = client.post("/api/ask", json={"question": question, **extra})
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("question,kb,doc,expected", MANUAL_QUESTIONS)
def test_answers_quote_the_manual_with_citations(client, question, kb, doc, expected):
    body = ask(client, question, kb=kb)
    assert body["band"] == "answer" and body["handoff"]["needed"] is False
    assert 1 <= len(body["citations"]) <= 3
    assert "[1]" in body["answer"]
    assert any(c["doc"].startswith(doc) and expected in c["text"] for c in body["citations"]), body["citations"]
    for citation in body["citations"]:
        assert set(citation) >= {"id", "doc", "title", "section", "text", "score"}


def test_every_quoted_sentence_stands_in_its_citation(client):
    body = ask(client, "电话铃响几声必须接听", persona="agent")
    quoted = body["answer"].split("[1]")[0].strip()
    assert quoted and quoted in body["citations"][0]["text"]


def test_agent_answer_shows_time_limits(client):
    body = ask(client, "质量投诉 几小时通知大区", persona="agent")
    assert "小时" in body["answer"] and "时限" in body["answer"]


@pytest.mark.parametrize(
    "question,reason,priority",
    [
        ("我喝了你们的牛奶拉肚子了", "urgent", "urgent"),
        ("奶里喝出了异物,我要找媒体曝光", "urgent", "urgent"),
        ("转人工", "user_request", "high"),
        ("我要投诉", "user_request", "high"),
        ("今天天气怎么样", "out_of_scope", "normal"),
        ("给我写一首诗", "out_of_scope", "normal"),
    ],
)
def test_handoff_triggers(client, question, reason, priority):
    body = ask(client, question)
    assert body["handoff"]["needed"] is True
    assert body["handoff"]["reason"] == reason and body["handoff"]["priority"] == priority
    assert body["citations"] == []


def test_urgent_handoff_asks_for_the_complaint_record_fields(client):
    fields = ask(client, "孩子喝了你们的奶住院了")["handoff"]["fields"]
    assert fields[:2] == ["name", "phone"] and {"产品名称", "生产日期", "生产批号", "数量", "问题", "饮用后情况"} <= set(fields)


def test_unstated_policy_is_not_answered(client):
    body = ask(client, "退款几天能到账")
    assert body["handoff"]["needed"] is True and body["band"] != "answer"


def test_search_returns_passages_in_citation_shape(client):
    response = client.get("/api/search", params={"q": "投诉预警", "k": 3})
    assert response.status_code == 200
    results = response.json()["results"]
    assert len(results) == 3 and {"id", "doc", "title", "section", "text", "score"} <= set(results[0])


@pytest.mark.parametrize("query", ["xyzqqq", "qwertyuiop", "龘靐齉"])
def test_a_search_that_matches_nothing_lists_nothing(client, query):
    """No passage shares a word with these, and none is close in meaning (below search_dense_floor):
    the dense search still ranked eight passages of a manual for them."""
    for kb in (None, "dairy"):
        response = client.get("/api/search", params={"q": query, "k": 8, **({"kb": kb} if kb else {})})
        assert response.status_code == 200 and response.json()["results"] == []


@pytest.mark.parametrize(
    "request_kwargs,status,code",
    [
        ({"json": {"question": ""}}, 422, "empty_question"),
        ({"json": {"question": "   \n "}}, 422, "empty_question"),
        ({"json": {"question": "问" * 2001}}, 413, "question_too_long"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
        ({"json": {"question": 12}}, 422, "invalid_request"),
        ({"json": {"question": "你好", "persona": "boss"}}, 422, "invalid_request"),
        ({"json": {"question": "你好", "surprise": 1}}, 422, "invalid_request"),
    ],
)
def test_ask_errors_have_one_json_shape(client, request_kwargs, status, code):
    response = client.post("/api/ask", **request_kwargs)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_unknown_route_is_a_json_404(client):
    response = client.get("/api/nope")
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/tickets", "/api/admin/kbs/dairy/index", "/api/admin/kbs/dairy/unanswered"])
def test_protected_endpoints_refuse_missing_and_wrong_tokens(client, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 403


def test_agent_token_does_not_open_admin_endpoints(client, tokens):
    response = client.get("/api/admin/kbs/dairy/index", headers={"Authorization": f"Bearer {tokens.agent}"})
    assert response.status_code == 403


def test_admin_index_info(client, tokens):
    response = client.get("/api/admin/kbs/dairy/index", headers={"Authorization": f"Bearer {tokens.admin}"})
    assert response.status_code == 200
    info = response.json()
    assert info["kb"] == "dairy" and info["model"] == "m3e-small" and info["docs"] == 1
    assert info["chunks"] > 40 and info["questions"] > 200


def test_generated_tokens_are_kept_private_in_the_data_dir(tokens):
    assert tokens.path is not None and tokens.path.stat().st_mode & 0o077 == 0
    assert tokens.agent != tokens.admin and len(tokens.admin) >= 24


def test_health_readiness_and_metrics(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz").json()
    assert ready["status"] == "ready" and set(ready["index_versions"]) == {"appliance", "dairy", "gas", "lighting", "supermarket"}
    ask(client, "转人工")
    missing = client.get("/api/tickets/no-such-ticket").status_code
    assert client.get("/api/no-such-route").status_code == 404
    metrics = client.get("/metrics").text
    assert 'kefu_handoffs_total{reason="user_request"}' in metrics
    # counted by route template and status, whatever the path held
    assert 'kefu_requests_total{route="/api/ask",status="200"}' in metrics
    assert f'kefu_requests_total{{route="/api/tickets/{{ticket_id}}",status="{missing}"}}' in metrics
    assert 'kefu_requests_total{route="unmatched",status="404"}' in metrics
    assert "kefu_request_seconds_bucket" in metrics and 'kefu_index_info{kb="dairy",version=' in metrics


def test_an_approved_faq_entry_is_answered_directly_after_reindex(tmp_path, kb_copy, encoder):
    from indexer.build import build_index

    from conftest import make_settings

    settings = make_settings(tmp_path, kb_dir=kb_copy)
    build_index(settings, "lighting", encoder=encoder)
    question = {"question": "你们的快递运费由谁承担", "kb": "lighting"}
    with TestClient(create_app(settings, encoder=encoder)) as local:
        admin = {"Authorization": f"Bearer {local.app.state.tokens.admin}"}
        before = local.post("/api/ask", json=question).json()
        assert before["band"] != "answer"
        entry = {"question": "快递运费由谁承担?", "answer": "质量问题退换货的运费由公司承担。", "author": "王编辑"}
        assert local.post("/api/admin/kbs/lighting/faq", json=entry, headers=admin).status_code == 201
        assert local.post("/api/admin/kbs/lighting/reindex", headers=admin).status_code == 202
        status = local.app.state.bot.reindexer.wait("lighting", timeout=300)
        assert status["state"] == "done", status
        assert status["changes"]["faq"]["added"] == 1
        after = local.post("/api/ask", json=question).json()
        assert after["band"] == "answer" and "质量问题退换货的运费由公司承担。" in after["answer"]
        assert after["citations"][0]["doc"] == "faq" and "王编辑" not in after["answer"] + after["citations"][0]["text"]  # the stamp is the editors'
        for_agent = local.post("/api/ask", json={**question, "persona": "agent"}).json()
        assert "编辑撰写:王编辑" in for_agent["citations"][0]["text"]
        assert after["citations"][0]["kb"] == "lighting"
        assert local.get("/api/admin/kbs/lighting/index", headers=admin).json()["version"] == status["version"]
        rolled = local.post("/api/admin/kbs/lighting/rollback", headers=admin).json()["version"]
        assert rolled < status["version"]
        assert local.post("/api/ask", json=question).json()["band"] != "answer"
