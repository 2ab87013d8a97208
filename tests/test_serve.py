"""A real `kefu serve` process on loopback, tried as a hostile client would: forged proxy headers.
(The in-process uvicorn server of the browser tests is used where a second process is not needed.)"""

import httpx
import pytest
import uvicorn

from bot.app import create_app
from bot.serving import uvicorn_options

from web_support import LiveServer, server_settings, start_server

ASK_LIMIT = 2


@pytest.fixture(scope="module")
def serve(built_settings, tmp_path_factory):
    """(base url, log path) of one `kefu serve` with the defaults that matter here."""
    tmp = tmp_path_factory.mktemp("serve")
    log_path = tmp / "serve.log"
    process, base = start_server(built_settings.data_dir, tmp / "kefu.db", log_path, KEFU_ASK_RATE_PER_MINUTE=str(ASK_LIMIT))
    yield base, log_path
    process.kill()
    process.wait()


def ask(base: str, headers: dict | None = None) -> httpx.Response:
    return httpx.post(base + "/api/ask", json={"question": "转人工"}, headers=headers or {}, timeout=60)


def test_a_forged_x_forwarded_for_does_not_reset_the_rate_limit(serve):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: each forged
    address was a fresh rate-limit window. By default kefu believes no one's."""
    base, _ = serve
    for _ in range(ASK_LIMIT):
        assert ask(base).status_code == 200
    for forged in ("203.0.113.7", "127.0.0.1", "198.51.100.1, 203.0.113.9"):
        refused = ask(base, {"X-Forwarded-For": forged})
        assert refused.status_code == 429, forged
        assert refused.json()["error"]["code"] == "rate_limited"


def test_x_forwarded_for_is_believed_from_a_trusted_proxy(built_settings, encoder, tmp_path):
    settings = server_settings(built_settings, tmp_path).model_copy(update={"trusted_proxies": ["127.0.0.1"], "ask_rate_per_minute": 1})
    live = LiveServer(create_app(settings, encoder=encoder), **uvicorn_options(settings)).start()
    try:
        assert ask(live.url, {"X-Forwarded-For": "203.0.113.7"}).status_code == 200
        assert ask(live.url, {"X-Forwarded-For": "203.0.113.7"}).status_code == 429  # that client's window
        assert ask(live.url, {"X-Forwarded-For": "203.0.113.8"}).status_code == 200  # another client behind the proxy
    finally:
        live.stop()


def test_proxy_headers_are_off_without_trusted_proxies(built_settings, tmp_path):
    options = uvicorn_options(server_settings(built_settings, tmp_path))
    assert options["proxy_headers"] is False
    assert uvicorn.Config("bot.app:app_from_env", factory=True, **options).proxy_headers is False
