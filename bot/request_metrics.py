"""Every request counted and timed by its route template, and every response marked nosniff
(errors included), as a pure ASGI middleware: Starlette's `@app.middleware("http")` runs each
request through an extra task and memory stream, which cost more than the route of a health check."""

import time

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bot.metrics import Metrics


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), 500  # no response started: the server's own 500 follows

        async def marked(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message).setdefault("X-Content-Type-Options", "nosniff")
            await send(message)

        try:
            await self.app(scope, receive, marked)
        finally:
            route = scope.get("route")  # the template (/api/tickets/{ticket_id}), not the raw path
            self.metrics.observe_request(getattr(route, "path", "unmatched"), status, time.perf_counter() - started)
