"""Request body limits enforced on the bytes actually received, not only on Content-Length, and
on the time they take.

A client may send a body without a Content-Length (chunked transfer) or lie about it; the
limit then has to be counted as the body streams in, or a 1 MB "question" is read whole
into memory before anything refuses it. A client may also send half a body and wait: the
body must have come whole `timeout` seconds after the request began, or it gets 408. A pure
ASGI middleware, so it sees every request.
"""

import asyncio
import json
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.errors import error_body

TOO_LARGE = "请求体过大 / the request body is larger than {limit} bytes"
TOO_SLOW = "请求体在 {timeout:g} 秒内没有传完 / the request body did not arrive within {timeout:g} s"


def too_large_body(limit: int) -> bytes:
    return json.dumps(error_body("payload_too_large", TOO_LARGE.format(limit=limit)), ensure_ascii=False).encode("utf-8")


class BodyLimit:
    """Refuse a body over `limit_for(path)` bytes with 413: at once when the declared length
    says so, otherwise as soon as the streamed bytes pass the limit; and one still arriving
    `timeout` seconds after the request began with 408."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int], timeout: float):
        self.app = app
        self.limit_for = limit_for
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await self._refuse(send, limit)
            return
        received = 0
        complete = False
        deadline = asyncio.get_running_loop().time() + self.timeout

        async def counted_receive() -> Message:
            nonlocal received, complete
            if complete:  # waiting for a disconnect while the response streams: no deadline
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                # Raised inside the route's body read: FastAPI passes HTTPExceptions on to
                # the app's handler, which answers in the one JSON error shape.
                raise HTTPException(408, TOO_SLOW.format(timeout=self.timeout)) from None
            complete = message["type"] != "http.request" or not message.get("more_body", False)
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise HTTPException(413, TOO_LARGE.format(limit=limit))
            return message

        await self.app(scope, counted_receive, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = too_large_body(limit)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
