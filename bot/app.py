"""The FastAPI application, built by `create_app(settings)`; nothing is created at import.

app.state carries the loaded parts: `service` (None until an index loads), `records` (None
while the store is unreachable), `tokens`, `reindexer`, `metrics`.
"""

import logging
import threading
import time
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from fastapi.staticfiles import StaticFiles

from bot.api import admin, pages, routes
from bot.api.schemas import ERROR_RESPONSES
from bot.auth import load_tokens
from bot.bodylimit import BodyLimit
from bot.errors import status_and_code
from bot.logmask import install_log_masking
from bot.metrics import Metrics
from bot.ratelimit import RateLimited, RateLimiter
from bot.reindex import Reindexer
from bot.retrieve.index import load_current
from bot.retrieve.search import Searcher
from bot.service import BotService, Reader
from indexer.embed import Encoder
from indexer.errors import IndexCorrupt, IndexMissing, KefuError
from indexer.settings import Settings, database_url
from indexer.textnorm import Tokenizer

log = logging.getLogger("kefu")


def error_body(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def open_records(settings: Settings, ticket_key_secret: str):
    try:
        from bot.records import Records
        from bot.store.db import open_store

        return Records(open_store(database_url(settings), settings.store_timeout_seconds), ticket_key_secret)
    except Exception as exc:  # the bot still answers without a store; tickets return 503
        log.error("ticket store unavailable (%s): answering continues without tickets", type(exc).__name__)
        return None


def reconnect_records(app: FastAPI):
    """One more attempt to open a store that was unreachable at start-up, so tickets come back
    when the database does; the bot answers with it again from then on."""
    with app.state.store_lock:
        if app.state.records is None:
            app.state.records = open_records(app.state.settings, app.state.tokens.ticket_key_secret)
            if app.state.records is not None and app.state.service is not None:
                app.state.service.store = app.state.records
        return app.state.records


def open_service(settings: Settings, encoder: Encoder, records) -> BotService | None:
    try:
        index = load_current(settings)
    except (IndexMissing, IndexCorrupt) as exc:
        log.error("no index to serve: %s", exc)
        return None
    reader = Reader.from_searcher(Searcher(index, encoder, Tokenizer(), settings))
    return BotService(settings, reader, records)


HTTP_ERRORS = {
    400: ("invalid_body", "请求体无法解析(需为 UTF-8 编码的 JSON) / the request body cannot be parsed (UTF-8 JSON expected)"),
    404: ("not_found", "没有这个地址 / no such endpoint"),
    413: ("payload_too_large", None),
    405: ("method_not_allowed", "不支持该请求方法 / method not allowed"),
}


def body_limit(settings: Settings, path: str) -> int:
    return settings.upload_max_bytes + 64 * 1024 if path == "/api/admin/documents" else settings.max_body_bytes


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


def create_app(settings: Settings, encoder: Encoder | None = None) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI):
        model = encoder or Encoder(settings)
        app.state.records = open_records(settings, app.state.tokens.ticket_key_secret)
        app.state.service = open_service(settings, model, app.state.records)
        app.state.reindexer = Reindexer(settings, app.state.service) if app.state.service else None
        yield

    install_log_masking()
    app = FastAPI(title="kefu", version="0.1.0", description="客服知识库机器人 API: cited answers, handoff, tickets.", lifespan=lifespan)
    app.state.settings = settings
    app.state.tokens = load_tokens(settings)
    app.state.metrics = Metrics()
    app.state.limiter = RateLimiter({"ask": settings.ask_rate_per_minute, "tickets": settings.ticket_rate_per_minute})
    app.state.service = app.state.records = app.state.reindexer = None
    app.state.store_lock = threading.Lock()
    app.state.reconnect_records = lambda: reconnect_records(app)
    install_error_handlers(app)
    app.add_middleware(BodyLimit, limit_for=lambda path: body_limit(settings, path))
    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.cors_origins, allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Idempotency-Key"])

    @app.middleware("http")
    async def measure(request: Request, call_next):
        started = time.perf_counter()
        response = await call_next(request)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")  # errors included
        route = request.scope.get("route")  # the template (/api/tickets/{ticket_id}), not the raw path
        app.state.metrics.observe_request(getattr(route, "path", "unmatched"), response.status_code, time.perf_counter() - started)
        return response

    @app.get("/healthz", summary="The process is up")
    def healthz() -> dict:
        return {"status": "ok"}

    @app.get("/readyz", summary="An index is loaded and answers can be served")
    def readyz(request: Request):
        service = request.app.state.service
        if service is None:
            return JSONResponse(error_body("not_ready", "索引尚未加载 / no index loaded"), status_code=503)
        return {"status": "ready", "index_version": service.reader.version, "store": request.app.state.records is not None}

    @app.get("/metrics", response_class=PlainTextResponse, summary="Prometheus metrics")
    def metrics(request: Request) -> str:
        service = request.app.state.service
        return request.app.state.metrics.render(service.reader.version if service else None)

    app.include_router(routes.router, responses=ERROR_RESPONSES)
    app.include_router(admin.router, responses=ERROR_RESPONSES)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=pages.WEB_DIR / "static", check_dir=False), name="static")
    return app


def app_from_env() -> FastAPI:
    """Factory for `uvicorn --factory` and multi-worker serving: settings from the environment."""
    from indexer.settings import load_settings

    return create_app(load_settings())
