"""Rate limits and body limits."""

import tracemalloc

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


def test_the_limiter_forgets_expired_windows_and_keeps_a_bounded_number_of_clients():
    """50,000 forged addresses grew the limiter by 37 MB, and it never shrank."""
    now = [0.0]
    limiter = RateLimiter({"ask": 3}, clock=lambda: now[0], max_clients=1000)
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for n in range(50_000):
        limiter.check("ask", f"10.{n // 65536}.{n // 256 % 256}.{n % 256}")
    grown = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert limiter.tracked_clients() == 1000 and grown < 2 * 1024 * 1024, grown
    recent = "10.0.195.79"  # the last address: still counted
    limiter.check("ask", recent)
    limiter.check("ask", recent)
    with pytest.raises(RateLimited):
        limiter.check("ask", recent)
    now[0] = 61.0  # every window is over: nothing is kept for them
    limiter.check("ask", "192.0.2.1")
    assert limiter.tracked_clients() == 1
