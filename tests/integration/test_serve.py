"""A real `kefu serve` process on loopback, tried as a hostile client would: forged proxy headers,
half-sent requests, an upload without a token. Raw sockets where httpx would be too polite; every
wait is bounded. (The in-process uvicorn server of the browser tests is used where a second
process is not needed.)"""

import json
import os
import re
import socket
import time
import urllib.parse
from pathlib import Path

import httpx
import pytest
import uvicorn

from bot.app import create_app
from bot.serving import uvicorn_options

from web_support import LiveServer, server_settings, start_server

ASK_LIMIT = 2
HEADER_TIMEOUT, BODY_TIMEOUT = 2, 3
WAIT = 20  # seconds a raw socket waits for the server to act: far above its timeouts, far below the 70 s seen


@pytest.fixture(scope="module")
def serve(built_settings, tmp_path_factory):
    """A namespace (base url, log path, pid, the server's temp dir) of one `kefu serve`."""
    tmp = tmp_path_factory.mktemp("serve")
    spool = tmp / "spool"
    spool.mkdir()
    log_path = tmp / "serve.log"
    process, base = start_server(
        built_settings.data_dir, tmp / "kefu.db", log_path, KEFU_ASK_RATE_PER_MINUTE=str(ASK_LIMIT),
        KEFU_HEADER_TIMEOUT_SECONDS=str(HEADER_TIMEOUT), KEFU_BODY_TIMEOUT_SECONDS=str(BODY_TIMEOUT), TMPDIR=str(spool),
    )
    yield type("Serve", (), {"base": base, "log": log_path, "pid": process.pid, "spool": spool, "port": int(base.rsplit(":", 1)[1])})
    process.kill()
    process.wait()


def connect(serve) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", serve.port), timeout=WAIT)
    return sock


def read_response(sock: socket.socket) -> bytes:
    """One response, head and body (by its Content-Length), while the connection stays open."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:  # closed before a whole head: the caller's assertions say what came
            return data
        data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1").lower()
    length = int(re.search(r"content-length: (\d+)", head).group(1)) if "content-length:" in head else 0
    while len(data.split(b"\r\n\r\n", 1)[1]) < length:
        data += sock.recv(65536)
    return data


def read_all(sock: socket.socket) -> bytes:
    """Everything the server sends until it closes the connection (socket.timeout after WAIT s)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data


def ask(base: str, headers: dict | None = None) -> httpx.Response:
    return httpx.post(base + "/api/ask", json={"question": "转人工"}, headers=headers or {}, timeout=60)


def test_a_forged_x_forwarded_for_does_not_reset_the_rate_limit(serve):
    """uvicorn believes X-Forwarded-For from 127.0.0.1 unless told otherwise: each forged
    address was a fresh rate-limit window. By default kefu believes no one's."""
    base = serve.base
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


def server_answer_to(serve, sent: bytes) -> bytes:
    """What the server sends back, until it closes the connection, to a client that sent `sent`
    and then waits. Waiting longer than WAIT is a failure (socket.timeout), not a pass."""
    with connect(serve) as sock:
        sock.sendall(sent)
        return read_all(sock)


def assert_request_timeout(answer: bytes) -> None:
    assert answer.startswith(b"HTTP/1.1 408 "), answer
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "request_timeout"


def test_half_sent_headers_are_answered_408_and_closed(serve):
    assert_request_timeout(server_answer_to(serve, b"POST /api/ask HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl"))


def test_a_connection_that_sends_nothing_is_closed(serve):
    assert server_answer_to(serve, b"") == b""


def test_a_half_sent_body_is_answered_408(serve):
    head = b"POST /api/feedback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
    assert_request_timeout(server_answer_to(serve, head + b'{"answer'))



def test_a_second_request_half_sent_on_a_kept_alive_connection_is_answered_408(serve):
    """The deadline starts again when a response ends: uvicorn's keep-alive timer is stopped by
    the next request's first byte and not armed again until its response."""
    with connect(serve) as sock:
        sock.sendall(b"GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        assert read_response(sock).startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /api/search?q=")
        assert_request_timeout(read_all(sock))


def closed_while_trickling(sock: socket.socket) -> bool:
    """Sends a byte every 0.2 s until the server closes the connection (True) or WAIT s pass (False)."""
    sock.settimeout(0.2)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"#")
            if sock.recv(65536) == b"":
                return True
        except socket.timeout:
            continue
        except OSError:  # reset: closed with bytes of ours unread
            return True
    return False


def test_a_body_still_coming_after_its_answer_is_cut_off(serve):
    """uvicorn's keep-alive timer restarts with every byte received: a client trickling the rest
    of a refused upload's body would hold the connection for ever."""
    boundary = "kefu-boundary"
    request = (
        f"POST /api/admin/kbs/lighting/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: 1000000\r\n\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.md\"\r\n\r\n"
    ).encode()
    with connect(serve) as sock:
        sock.sendall(request)
        assert read_response(sock).startswith(b"HTTP/1.1 401 ")
        assert closed_while_trickling(sock)

def spooled_files(serve) -> set[str]:
    """Files in the server's temp dir and those it holds open there (a spooled upload, deleted or not)."""
    held = set()
    for fd in Path(f"/proc/{serve.pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith(str(serve.spool)):
            held.add(target)
    return held | {str(p) for p in serve.spool.iterdir()}


def test_an_upload_without_a_token_is_refused_before_its_body_is_read(serve):
    """The form used to be parsed (over 1 MB spooled to a temp file) before the token was checked."""
    boundary = "kefu-boundary"
    head = f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.md\"\r\nContent-Type: text/markdown\r\n\r\n".encode()
    body = head + b"#" * (3 * 1024 * 1024)
    request = (
        f"POST /api/admin/kbs/lighting/documents HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: multipart/form-data; boundary={boundary}\r\n"
        f"Content-Length: {len(body) + 64}\r\n\r\n"  # more than is sent: a server reading the body would wait
    ).encode()
    before = spooled_files(serve)  # jieba keeps its cache there
    with connect(serve) as sock:
        sock.sendall(request + head)
        answer = read_response(sock)
        assert answer.startswith(b"HTTP/1.1 401 "), answer
        try:
            sock.sendall(body[len(head):])  # the server, had it been reading, would spool this to disk
        except OSError:
            pass
        time.sleep(0.5)
        assert spooled_files(serve) == before
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]["code"] == "unauthorized"


def test_the_access_log_masks_numbers_typed_after_chinese_text(serve):
    """httpx sends 电话13812345678 as %E7%94%B5%E8%AF%9D13812345678, and uvicorn logs it so."""
    for query in ("电话13812345678", "身份证110101199003071234", "+86 139 1234 5678"):
        assert httpx.get(serve.base + "/api/search", params={"q": query}, timeout=60).status_code == 200
    time.sleep(0.5)  # the access log line is written after the response
    logged = re.findall(r"/api/search\?q=(\S*) HTTP", serve.log.read_text(errors="replace"))
    assert len(logged) == 3
    for query, secret in zip(logged, ("13812345678", "19900307", "13912345678")):
        assert secret not in re.sub(r"\D", "", urllib.parse.unquote_plus(query)), query
