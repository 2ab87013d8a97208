"""FastAPI dependencies: the app's services and the token checks, as Annotated types."""

from typing import Annotated

from fastapi import Depends, Header, Request

from bot.auth import Tokens, bearer, check_token
from bot.errors import NotReady, Unavailable
from bot.service import BotService


def get_service(request: Request) -> BotService:
    service = request.app.state.service
    if service is None:
        raise NotReady("索引尚未就绪 / the index is not loaded yet: run `kefu index`")
    return service


def get_records(request: Request):
    records = request.app.state.records
    if records is None:  # unreachable at start-up: try once more, briefly
        records = request.app.state.reconnect_records()
    if records is None:
        raise Unavailable("工单系统暂时不可用 / the ticket store is unavailable; try again shortly")
    return records


def get_tokens(request: Request) -> Tokens:
    return request.app.state.tokens


def presented_token(authorization: Annotated[str | None, Header()] = None) -> str | None:
    return bearer(authorization)


def require_agent(tokens: Annotated[Tokens, Depends(get_tokens)], token: Annotated[str | None, Depends(presented_token)]) -> None:
    # Admins may do what agents do: an editor checking a ticket needs no second token.
    check_token(token, tokens.agent, tokens.admin)


def require_admin(tokens: Annotated[Tokens, Depends(get_tokens)], token: Annotated[str | None, Depends(presented_token)]) -> None:
    check_token(token, tokens.admin)


ServiceDep = Annotated[BotService, Depends(get_service)]
RecordsDep = Annotated[object, Depends(get_records)]
AgentDep = Depends(require_agent)
AdminDep = Depends(require_admin)


def limit(bucket: str):
    def check(request: Request) -> None:
        client = request.client.host if request.client else "unknown"
        request.app.state.limiter.check(bucket, client)

    return Depends(check)
