"""Store errors, each with the HTTP status and code the API answers with."""

import time

from sqlalchemy.exc import OperationalError

from kefu.errors import KefuError


class StoreError(KefuError):
    status, code = 500, "store_error"


class TicketNotFound(StoreError):
    status, code = 404, "ticket_not_found"


class AnswerNotFound(StoreError):
    status, code = 404, "answer_not_found"


class InvalidTicket(StoreError):
    status, code = 422, "invalid_ticket"

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


class IdempotencyKeyReused(StoreError):
    status, code = 409, "idempotency_key_reused"


class StoreUnavailable(StoreError):
    status, code = 503, "store_unavailable"


class StoreBusy(Exception):
    """Another writer of this process kept the SQLite file past the timeout (bot.store.db.WriterTurns)."""


def with_retry(work, attempts: int = 3, delay: float = 0.2):
    """Run `work`, retrying briefly while the database is locked or unreachable."""
    for attempt in range(attempts):
        try:
            return work()
        except (OperationalError, StoreBusy) as exc:
            if attempt == attempts - 1:
                raise StoreUnavailable("工单库暂时不可用 / the ticket store is unavailable; try again shortly") from exc
            time.sleep(delay * (attempt + 1))
