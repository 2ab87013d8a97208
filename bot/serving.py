"""How `kefu serve` runs uvicorn: the options that depend on kefu's settings, and an HTTP/1.1
protocol that does not wait for ever on half-sent requests.

uvicorn times out idle keep-alive connections only: a client that sends half its headers and
waits holds a connection (and its memory) until it gives up itself. The body has its own
deadline in bot.bodylimit, where a late body can still be answered with a 408 in the one
JSON error shape.
"""

import json

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from bot.errors import error_body
from kefu.settings import Settings

# The lifespan hands the header timeout to the protocol through uvicorn's app state, which
# every connection of the worker sees; the protocol has no other way to the settings.
HEADER_TIMEOUT_STATE = "kefu.header_timeout_seconds"
DEFAULT_HEADER_TIMEOUT = 10.0
PROTOCOL = "bot.serving:DeadlineProtocol"


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


class DeadlineProtocol(H11Protocol):
    """h11 with a deadline for each request's headers: it starts when the connection opens or
    the previous response ends. When it passes with the headers incomplete, the connection is
    closed (after a 408 if part of them came); so is one still sending a body after its answer."""

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._deadline = None
        self._arm_deadline()

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
        if getattr(self, "_deadline", None) is not None:
            self._deadline.cancel()
            self._deadline = None

    def _deadline_passed(self) -> None:
        self._deadline = None
        if self.transport.is_closing():
            return
        if self.conn.their_state is h11.IDLE:  # no whole request head yet
            partial, _ = self.conn.trailing_data
            if partial:
                self.transport.write(request_timeout_response(self._header_timeout()))
            self.transport.close()
        elif self.conn.their_state is h11.SEND_BODY and self.conn.our_state in (h11.DONE, h11.MUST_CLOSE):
            self.transport.close()  # answered already (a 401, a 408): the rest of its body is not waited for
