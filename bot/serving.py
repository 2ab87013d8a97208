"""How `kefu serve` runs uvicorn: the options that depend on kefu's settings, and an HTTP/1.1
protocol that does not wait for ever on half-sent requests.

uvicorn times out idle keep-alive connections only: a client that sends half its headers and
waits holds a connection (and its memory) until it gives up itself. The body has its own
deadline in bot.bodylimit, where a late body can still be answered with a 408 in the one
JSON error shape.

The protocol is built on uvicorn's httptools one (llhttp, in C) rather than its h11 one (pure
Python): a worker's CPU spent parsing requests is CPU the model's encode does not get.
"""

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bot.errors import error_body
from kefu.settings import Settings

# The lifespan hands the header timeout to the protocol through uvicorn's app state, which
# every connection of the worker sees; the protocol has no other way to the settings.
HEADER_TIMEOUT_STATE = "kefu.header_timeout_seconds"
DEFAULT_HEADER_TIMEOUT = 10.0
PROTOCOL = "bot.serving:DeadlineProtocol"
# Where the request parser is in the request it reads (llhttp does not say).
IDLE, HEAD, BODY = "idle", "head", "body"


def uvicorn_options(settings: Settings) -> dict:
    """uvicorn believes X-Forwarded-For from 127.0.0.1 by default, so any local client (or a
    proxy passing on what its client claimed) could choose the address the rate limits count.
    Forwarded headers are read only from the configured proxies, and by default from none."""
    trusted = settings.trusted_proxies
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": ",".join(trusted) if trusted else None, "http": PROTOCOL}


def request_timeout_response(seconds: float) -> bytes:
    message = f"请求头在 {seconds:g} 秒内没有传完 / the request headers did not arrive within {seconds:g} s"
    body = json.dumps(error_body("request_timeout", message), ensure_ascii=False).encode("utf-8")
    head = f"HTTP/1.1 408 Request Timeout\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    return head.encode("ascii") + body


class DeadlineProtocol(HttpToolsProtocol):
    """httptools with a deadline for each request's headers: it starts when the connection opens
    or the previous response ends. When it passes with the headers incomplete, the connection is
    closed (after a 408 if part of them came); so is one still sending a body after its answer.

    uvicorn's keep-alive timer restarts with every byte received and is not armed before the
    first request, so it bounds neither of those."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._reading = IDLE
        self._deadline = None
        self._arm_deadline()

    def on_message_begin(self) -> None:  # llhttp: the request's first byte
        super().on_message_begin()
        self._reading = HEAD

    def on_headers_complete(self) -> None:
        super().on_headers_complete()
        self._reading = BODY

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._reading = IDLE

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm_deadline()

    def connection_lost(self, exc) -> None:
        self._cancel_deadline()
        super().connection_lost(exc)

    def _header_timeout(self) -> float:
        return float(self.app_state.get(HEADER_TIMEOUT_STATE, DEFAULT_HEADER_TIMEOUT))

    def _arm_deadline(self) -> None:
        self._cancel_deadline()
        self._deadline = self.loop.call_later(self._header_timeout(), self._deadline_passed)

    def _cancel_deadline(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self) -> None:
        self._deadline = None
        # A request being answered is bodylimit's to time out; the deadline is re-armed when its response ends.
        if self.transport.is_closing() or (self.cycle is not None and not self.cycle.response_complete):
            return
        if self._reading is HEAD:
            self.transport.write(request_timeout_response(self._header_timeout()))
        self.transport.close()  # BODY: answered already (a 401, a 408), the rest of its body is not waited for
