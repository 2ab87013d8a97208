"""Rate limits and body limits."""

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from bot.ratelimit import RateLimited, RateLimiter


def test_sliding_window_limits_each_client_and_bucket():
    now = [0.0]
    limiter = RateLimiter({"ask": 2}, clock=lambda: now[0])
    limiter.check("ask", "a")
    limiter.check("ask", "a")
    limiter.check("ask", "b")
    with pytest.raises(RateLimited) as refused:
        limiter.check("ask", "a")
    assert refused.value.retry_after == 61
    now[0] = 60.0
    limiter.check("ask", "a")


def test_ask_over_the_limit_gets_429_with_retry_after(built_settings, encoder):
    settings = built_settings.model_copy(update={"ask_rate_per_minute": 2, "max_body_bytes": 2048})
    with TestClient(create_app(settings, encoder=encoder)) as client:
        for _ in range(2):
            assert client.post("/api/ask", json={"question": "转人工"}).status_code == 200
        response = client.post("/api/ask", json={"question": "转人工"})
        assert response.status_code == 429 and int(response.headers["Retry-After"]) >= 1
        assert response.json()["error"]["code"] == "rate_limited"
        big = client.post("/api/feedback", content=b"x" * 4096, headers={"content-type": "application/json"})
        assert big.status_code == 413 and big.json()["error"]["code"] == "payload_too_large"
