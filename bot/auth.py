"""Agent and admin tokens and the ticket-key secret: from the settings, or generated once into the data dir.

`make run` must give a working console on a fresh machine without ever running open, so a
missing token is generated (never a default), kept in `<data_dir>/tokens.json` (mode 600).
"""

import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from bot.errors import Forbidden, Unauthorized
from kefu.settings import Settings

TOKENS_FILE = "tokens.json"


@dataclass(frozen=True)
class Tokens:
    agent: str
    admin: str
    ticket_key_secret: str  # the secret ticket access keys are derived from (bot.store.tickets.access_key)
    path: Path | None  # where generated secrets were kept, None when all came from settings


SECRETS = ("agent", "admin", "ticket_key_secret")


def _read(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_private(path: Path, data: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    os.replace(tmp, path)


def load_tokens(settings: Settings) -> Tokens:
    given = {"agent": settings.agent_token, "admin": settings.admin_token, "ticket_key_secret": settings.ticket_key_secret}
    configured = {name: value.get_secret_value() if value else None for name, value in given.items()}
    if all(configured.values()):
        return Tokens(**configured, path=None)
    path = settings.data_dir / TOKENS_FILE
    stored = _read(path)
    generated = {name: stored.get(name) or secrets.token_urlsafe(24) for name in SECRETS}
    if generated != stored:
        _write_private(path, generated)
    return Tokens(**{name: configured[name] or generated[name] for name in SECRETS}, path=path)


def bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def check_token(presented: str | None, *accepted: str) -> None:
    """401 without a token, 403 with a wrong one; compared in constant time."""
    if not presented:
        raise Unauthorized("需要令牌 / a token is required (Authorization: Bearer …)")
    matches = [hmac.compare_digest(presented.encode(), token.encode()) for token in accepted]
    if not any(matches):
        raise Forbidden("令牌无效 / the token is not valid for this endpoint")
