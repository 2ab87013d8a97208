"""Errors the bot reports to callers, each with an HTTP status and a stable code.

Every 4xx/5xx body has one shape: {"error": {"code": "...", "message": "中文 / English"}}.
"""

from kefu.errors import BuildRunning, DocumentUnreadable, IndexCorrupt, IndexMissing, KefuError, ModelUnavailable


class BotError(KefuError):
    status = 400
    code = "bad_request"


class EmptyQuestion(BotError):
    status, code = 422, "empty_question"


class InvalidRequest(BotError):
    status, code = 422, "invalid_request"


class QuestionTooLong(BotError):
    status, code = 413, "question_too_long"


class NotReady(BotError):
    status, code = 503, "not_ready"


class KbNotIndexed(BotError):
    """A kb that exists but has no index yet (just created): a state an editor changes by
    re-indexing, not an outage."""

    status, code = 409, "kb_not_indexed"


class Unauthorized(BotError):
    status, code = 401, "unauthorized"


class Forbidden(BotError):
    status, code = 403, "forbidden"


class NotFound(BotError):
    status, code = 404, "not_found"


class Conflict(BotError):
    status, code = 409, "conflict"


class PayloadTooLarge(BotError):
    status, code = 413, "payload_too_large"


class UnsupportedUpload(BotError):
    status, code = 415, "unsupported_upload"


class Unavailable(BotError):
    status, code = 503, "unavailable"


def error_body(code: str, message: str) -> dict:
    """The one shape of every error body."""
    return {"error": {"code": code, "message": message}}


def status_and_code(exc: KefuError) -> tuple[int, str]:
    """HTTP status and code for any domain error, including the indexer's and the store's."""
    if hasattr(exc, "status") and hasattr(exc, "code"):
        return exc.status, exc.code
    if isinstance(exc, BuildRunning):
        return 409, "conflict"
    if isinstance(exc, DocumentUnreadable):
        return 422, "document_unreadable"
    if isinstance(exc, (IndexMissing, IndexCorrupt, ModelUnavailable)):
        return 503, "index_unavailable"
    return 400, "bad_request"
