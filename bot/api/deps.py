"""FastAPI dependencies: the app's services and the token checks, as Annotated types."""

from typing import Annotated

from fastapi import Depends, Header, Path, Request

from bot.assemble import Bot
from bot.auth import Tokens, bearer, check_token
from bot.errors import NotReady, Unavailable
from bot.kb_files import KbFiles
from bot.reindex import Reindexer
from bot.service import BotService
from bot.unanswered import Loop
from kefu.kbs import KnowledgeBase, find_kb
from kefu.settings import Settings


def get_bot(request: Request) -> Bot:
    bot = request.app.state.bot
    if bot is None:
        raise NotReady("服务正在启动 / the service is starting; try again shortly")
    return bot


def get_service(bot: Annotated[Bot, Depends(get_bot)]) -> BotService:
    """The service; it answers 409 itself for a kb with no index yet."""
    return bot.service


def get_records(bot: Annotated[Bot, Depends(get_bot)]):
    records = bot.records or bot.reconnect_records()  # unreachable at start-up: try once more, briefly
    if records is None:
        raise Unavailable("工单系统暂时不可用 / the ticket store is unavailable; try again shortly")
    return records


def get_reindexer(bot: Annotated[Bot, Depends(get_bot)]) -> Reindexer:
    return bot.reindexer


def get_files(bot: Annotated[Bot, Depends(get_bot)]) -> KbFiles:
    return bot.files


def get_loop(bot: Annotated[Bot, Depends(get_bot)]) -> Loop:
    return bot.loop


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_kb(request: Request, kb: Annotated[str, Path(max_length=40, description="Knowledge-base id (GET /api/kbs).")]) -> KnowledgeBase:
    """The kb a path names: 404 unknown_kb when there is no such knowledge base."""
    return find_kb(request.app.state.settings, kb)


def get_tokens(request: Request) -> Tokens:
    return request.app.state.tokens


def presented_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    return bearer(authorization)


def require_agent(tokens: Annotated[Tokens, Depends(get_tokens)], token: Annotated[str | None, Depends(presented_token)]) -> None:
    # Admins may do what agents do: an editor checking a ticket needs no second token.
    check_token(token, tokens.agent, tokens.admin)


def require_admin(tokens: Annotated[Tokens, Depends(get_tokens)], token: Annotated[str | None, Depends(presented_token)]) -> None:
    check_token(token, tokens.admin)


BotDep = Annotated[Bot, Depends(get_bot)]
ServiceDep = Annotated[BotService, Depends(get_service)]
RecordsDep = Annotated[object, Depends(get_records)]
ReindexerDep = Annotated[Reindexer, Depends(get_reindexer)]
FilesDep = Annotated[KbFiles, Depends(get_files)]
LoopDep = Annotated[Loop, Depends(get_loop)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
KbDep = Annotated[KnowledgeBase, Depends(get_kb)]
AgentDep = Depends(require_agent)
AdminDep = Depends(require_admin)


def limit(bucket: str):
    def check(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        request.app.state.limiter.check(bucket, client)

    return Depends(check)
