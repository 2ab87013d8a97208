"""API responses are orjson's UTF-8: Chinese as it is, not \\u escapes, on answers and on every kind of error alike."""

import json

import pytest
from fastapi.testclient import TestClient

from bot.app import OrjsonResponse, create_app


@pytest.fixture(scope="module")
def client(built_settings, encoder):
    with TestClient(create_app(built_settings, encoder=encoder)) as test_client:
        yield test_client


@pytest.mark.model
def test_the_app_answers_with_orjson(client):
    assert client.app.router.default_response_class is OrjsonResponse


@pytest.mark.model
def test_search_results_keep_chinese_readable(client):
    response = client.get("/api/search", params={"q": "退货需要什么手续", "k": 3})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert "退货".encode() in response.content and b"\\u" not in response.content
    assert json.loads(response.content)["query"] == "退货需要什么手续"


@pytest.mark.model
@pytest.mark.parametrize(
    "method,path,kwargs,status,code",
    [
        ("GET", "/api/nope", {}, 404, "not_found"),
        ("POST", "/api/ask", {"json": {"question": ""}}, 422, "empty_question"),
        ("POST", "/api/ask", {"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
        ("POST", "/api/ask", {"json": {"question": "问" * 2001}}, 413, "question_too_long"),
    ],
)
def test_errors_keep_the_one_shape_and_readable_chinese(client, method, path, kwargs, status, code):
    response = client.request(method, path, **kwargs)
    assert response.status_code == status and response.headers["content-type"] == "application/json"
    body = json.loads(response.content)
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"} and body["error"]["code"] == code
    assert b"\\u" not in response.content and any("\u4e00" <= ch <= "\u9fff" for ch in response.content.decode())
