"""The FastAPI application, built by `create_app(settings)`; nothing is created at import.

app.state carries `settings`, `tokens`, `metrics`, `limiter`, and `bot` (bot.assemble.Bot:
the service, store and re-indexer), which the lifespan opens.
"""

import logging
import os
from contextlib import asynccontextmanager

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from bot.api import admin, documents, loop, pages, routes
from bot.api.schemas import ERROR_RESPONSES
from bot.assemble import open_bot
from bot.auth import load_tokens
from bot.bodylimit import BodyLimit
from bot.cors import JsonCORSMiddleware
from bot.errors import error_body, status_and_code
from bot.index_watch import IndexWatcher
from bot.logmask import install_log_masking
from bot.metrics import Metrics
from bot.periodic import Periodic
from bot.ratelimit import RateLimited, RateLimiter
from bot.request_metrics import RequestMetrics
from bot.retention import RetentionPurger
from bot.serving import HEADER_TIMEOUT_STATE
from bot.tokengate import TokenGate
from kefu.errors import KefuError
from kefu.model import Encoder
from kefu.settings import Settings, index_root

log = logging.getLogger("kefu")


class OrjsonResponse(JSONResponse):
    """JSON by orjson, UTF-8 as it is (Chinese stays readable): 25 µs against 46 µs for FastAPI's
    own serialiser on a 10-passage search response (docs/performance.md). FastAPI's ORJSONResponse
    does the same but is deprecated in FastAPI 0.165 (a warning at the first response)."""

    def render(self, content) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


HTTP_ERRORS = {
    400: ("invalid_body", "请求体无法解析(需为 UTF-8 编码的 JSON) / the request body cannot be parsed (UTF-8 JSON expected)"),
    404: ("not_found", "没有这个地址 / no such endpoint"),
    405: ("method_not_allowed", "不支持该请求方法 / method not allowed"),
    408: ("request_timeout", None),
    413: ("payload_too_large", None),
}


def body_limit(settings: Settings, path: str) -> int:
    """An upload (POST …/documents) or a replacement (PUT …/documents/{doc}) may be a manual."""
    is_upload = path.startswith("/api/admin/kbs/") and "/documents" in path
    return settings.upload_max_bytes + 64 * 1024 if is_upload else settings.max_body_bytes


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(KefuError)
    async def domain_error(request: Request, exc: KefuError):
        status, code = status_and_code(exc)
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, RateLimited) else None
        return JSONResponse(error_body(code, str(exc)), status_code=status, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError):
        errors = exc.errors()
        if any(e.get("type") == "json_invalid" for e in errors):
            return JSONResponse(error_body("invalid_json", "请求体不是有效的 JSON / the request body is not valid JSON"), status_code=400)
        detail = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}" for e in errors)
        return JSONResponse(error_body("invalid_request", f"请求无效 / invalid request: {detail}"), status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException):
        code, message = HTTP_ERRORS.get(exc.status_code, ("http_error", None))
        message = message or str(exc.detail)
        return JSONResponse(error_body(code, message), status_code=exc.status_code)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception):
        log.exception("unhandled error on %s", request.url.path)
        return JSONResponse(error_body("internal_error", "服务器内部错误 / internal server error"), status_code=500)


def install_middleware(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(TokenGate, prefix=admin.router.prefix, accepted=lambda: (app.state.tokens.admin,))
    app.add_middleware(BodyLimit, limit_for=lambda path: body_limit(settings, path), timeout=settings.body_timeout_seconds)
    if settings.cors_origins:
        app.add_middleware(JsonCORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Idempotency-Key"])

    app.add_middleware(RequestMetrics, metrics=app.state.metrics)


def served_versions(app: FastAPI) -> dict[str, str]:
    """kb -> the index version it answers from."""
    bot = app.state.bot
    return {kb: reader.version for kb, reader in bot.service.readers.items()} if bot else {}


def add_health_routes(app: FastAPI) -> None:
    @app.get("/healthz", summary="The process is up")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="An index is loaded and answers can be served")
    def readyz(request: Request):
        versions = served_versions(request.app)
        if not versions:
            return JSONResponse(error_body("not_ready", "索引尚未加载 / no index loaded"), status_code=503)
        # The process id tells the workers of one `kefu serve --workers N` apart.
        return {"status": "ready", "index_versions": versions, "store": request.app.state.bot.records is not None, "pid": os.getpid()}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def metrics(request: Request) -> str:
        return request.app.state.metrics.render(served_versions(request.app))


def start_purger(bot, settings: Settings) -> RetentionPurger | None:
    """The retention purge in the background; none when everything is kept (retention_days 0)."""
    if not settings.retention_days:
        return None

    def purge() -> None:
        records = bot.records or bot.reconnect_records()
        if records is not None:
            records.purge_older_than(settings.retention_days)

    return RetentionPurger(purge).start()


def start_index_watch(bot, settings: Settings) -> Periodic | None:
    """Following the versions other processes make current; none when switched off (0)."""
    if not settings.index_watch_seconds:
        return None
    watcher = IndexWatcher(lambda: [(kb, index_root(settings, kb)) for kb in bot.service.kbs], bot.reindexer.follow_current)
    return Periodic(watcher.check, settings.index_watch_seconds, "kefu-index-watch").start()


def create_app(settings: Settings, encoder: Encoder | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.bot = open_bot(settings, encoder, app.state.tokens)
        background = [task for task in (start_purger(app.state.bot, settings), start_index_watch(app.state.bot, settings)) if task]
        yield {HEADER_TIMEOUT_STATE: settings.header_timeout_seconds}  # for bot.serving's protocol, under kefu serve
        for task in background:
            task.stop()

    install_log_masking()
    # /docs is bot.api.pages' own page (swagger-ui from a package, under the pages' CSP); ReDoc would need a CDN.
    app = FastAPI(
        title="kefu", version="0.1.0", description="客服知识库机器人 API: cited answers, handoff, tickets.", lifespan=lifespan,
        docs_url=None, redoc_url=None, default_response_class=OrjsonResponse,
    )
    app.state.settings = settings
    app.state.tokens = load_tokens(settings)
    app.state.metrics = Metrics()
    app.state.limiter = RateLimiter({"ask": settings.ask_rate_per_minute, "tickets": settings.ticket_rate_per_minute})
    app.state.bot = None
    install_error_handlers(app)
    install_middleware(app, settings)
    add_health_routes(app)
    app.include_router(routes.router, responses=ERROR_RESPONSES)
    for router in (admin.router, documents.router, loop.router):
        app.include_router(router, responses=ERROR_RESPONSES)
    app.include_router(pages.router)
    app.mount("/static/swagger-ui", StaticFiles(directory=pages.swagger_ui_dir()), name="swagger-ui")  # before /static, which would take it
    app.mount("/static", StaticFiles(directory=pages.WEB_DIR / "static", check_dir=False), name="static")
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the environment."""
    from kefu.settings import load_settings

    return create_app(load_settings())
