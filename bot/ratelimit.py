"""Per-client rate limits (a sliding one-minute window per client address and bucket).

In-process: with several workers each enforces its own share, which is what a single
abusive client meets anyway, since connections spread over the workers.

Memory is bounded: windows are kept least recently used first, a window whose minute is over
is dropped, and past `max_clients` windows the least recently used goes (only then can a
client's count be forgotten early, when that many clients asked within one minute).
"""

import threading
import time
from collections import OrderedDict, deque

from bot.errors import BotError

WINDOW_SECONDS = 60.0
MAX_CLIENTS = 10_000  # windows kept (client and bucket); one costs about 1 KB


class RateLimited(BotError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, limits: dict[str, int], clock=time.monotonic, max_clients: int = MAX_CLIENTS):
        self.limits = limits
        self.clock = clock
        self.max_clients = max_clients
        self._hits: OrderedDict[tuple[str, str], deque] = OrderedDict()  # least recently used first
        self._lock = threading.Lock()

    def tracked_clients(self) -> int:
        return len(self._hits)

    def _window(self, key: tuple[str, str], now: float) -> deque:
        """The key's hits within the last minute, the key marked most recently used; windows
        whose last hit is a minute old are dropped, then the oldest beyond max_clients."""
        while self._hits:
            oldest = next(iter(self._hits.values()))
            if oldest and now - oldest[-1] < WINDOW_SECONDS:
                break
            self._hits.popitem(last=False)
        hits = self._hits.setdefault(key, deque())
        self._hits.move_to_end(key)
        while len(self._hits) > self.max_clients:
            self._hits.popitem(last=False)
        while hits and now - hits[0] >= WINDOW_SECONDS:
            hits.popleft()
        return hits

    def check(self, bucket: str, client: str) -> None:
        """Count one request; raise RateLimited (with seconds to wait) past the bucket's limit."""
        limit = self.limits[bucket]
        now = self.clock()
        with self._lock:
            hits = self._window((bucket, client), now)
            if len(hits) >= limit:
                retry_after = max(1, int(WINDOW_SECONDS - (now - hits[0])) + 1)
                raise RateLimited(f"请求过于频繁,请 {retry_after} 秒后再试 / too many requests; retry in {retry_after} s", retry_after)
            hits.append(now)
