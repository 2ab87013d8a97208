"""Request body limits enforced on the bytes actually received, not only on Content-Length.

A client may send a body without a Content-Length (chunked transfer) or lie about it; the
limit then has to be counted as the body streams in, or a 1 MB "question" is read whole
into memory before anything refuses it. A pure ASGI middleware, so it sees every request.
"""

import json
from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

TOO_LARGE = "请求体过大 / the request body is larger than {limit} bytes"


def too_large_body(limit: int) -> bytes:
    error = {"error": {"code": "payload_too_large", "message": TOO_LARGE.format(limit=limit)}}
    return json.dumps(error, ensure_ascii=False).encode("utf-8")


class BodyLimit:
    """Refuse a body over `limit_for(path)` bytes with 413: at once when the declared length
    says so, otherwise as soon as the streamed bytes pass the limit."""

    def __init__(self, app: ASGIApp, limit_for: Callable[[str], int]):
        self.app = app
        self.limit_for = limit_for

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

        async def counted_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # Raised inside the route's body read: FastAPI passes HTTPExceptions on to
                    # the app's handler, which answers in the one JSON error shape.
                    raise HTTPException(413, TOO_LARGE.format(limit=limit))
            return message

        await self.app(scope, counted_receive, send)

    @staticmethod
    async def _refuse(send: Send, limit: int) -> None:
        body = too_large_body(limit)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
