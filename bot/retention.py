"""The retention purge runs by itself: at start-up and then every hour, in a daemon thread the
app's lifespan starts and stops. With several workers or replicas each runs its own; the purge
is idempotent, so that costs a few empty deletes."""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)
PURGE_INTERVAL_SECONDS = 3600.0


class RetentionPurger:
    def __init__(self, purge: Callable[[], None], interval_seconds: float = PURGE_INTERVAL_SECONDS):
        self.purge = purge
        self.interval_seconds = interval_seconds
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kefu-retention", daemon=True)

    def start(self) -> "RetentionPurger":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.purge()
            except Exception:  # a busy or missing store: the next round tries again
                log.exception("retention purge failed")
            self._stop.wait(self.interval_seconds)
