"""Admin routes refuse a missing or wrong token before anything reads the request body.

FastAPI parses a route's body (a multipart upload is spooled to a temp file past 1 MB) before
it runs the route's dependencies, so the router's token check alone came after an anonymous
client's upload had been written to disk. This pure ASGI middleware checks the same token
(bot.auth.check_token) from the headers alone; the routers keep their own check.
"""

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from bot.auth import bearer, check_token
from bot.errors import error_body, status_and_code
from kefu.errors import KefuError


class TokenGate:
    def __init__(self, app: ASGIApp, prefix: str, accepted: Callable[[], tuple[str, ...]]):
        self.app = app
        self.prefix = prefix.rstrip("/")
        self.accepted = accepted

    def guards(self, path: str) -> bool:
        return path == self.prefix or path.startswith(self.prefix + "/")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self.guards(scope["path"]):
            try:
                check_token(bearer(Headers(scope=scope).get("authorization")), *self.accepted())
            except KefuError as exc:
                status, code = status_and_code(exc)
                await JSONResponse(error_body(code, str(exc)), status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)
