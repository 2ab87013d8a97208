"""Work repeated in the background of a server process: a daemon thread the app's lifespan
starts and stops, running once at start and then every interval. A failed round is logged and
the next one tries again."""

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


class Periodic:
    def __init__(self, work: Callable[[], None], interval_seconds: float, name: str):
        self.work = work
        self.interval_seconds = interval_seconds
        self.name = name
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> "Periodic":
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.work()
            except Exception:  # a busy store, an unreadable file: the next round tries again
                log.exception("%s failed", self.name)
            self._stop.wait(self.interval_seconds)
