"""The retention purge runs by itself: at start-up and then every hour, in the background
(bot.periodic). With several workers or replicas each runs its own; the purge is idempotent,
so that costs a few empty deletes."""

from collections.abc import Callable

from bot.periodic import Periodic

PURGE_INTERVAL_SECONDS = 3600.0


class RetentionPurger(Periodic):
    def __init__(self, purge: Callable[[], None], interval_seconds: float = PURGE_INTERVAL_SECONDS):
        super().__init__(purge, interval_seconds, "kefu-retention")
