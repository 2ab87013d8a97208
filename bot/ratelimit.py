"""Per-client rate limits (a sliding one-minute window per client address and bucket).

In-process: with several workers each enforces its own share, which is what a single
abusive client meets anyway, since connections spread over the workers.
"""

import threading
import time
from collections import defaultdict, deque

from bot.errors import BotError

WINDOW_SECONDS = 60.0


class RateLimited(BotError):
    status, code = 429, "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = retry_after


class RateLimiter:
    def __init__(self, limits: dict[str, int], clock=time.monotonic):
        self.limits = limits
        self.clock = clock
        self._hits: dict[tuple[str, str], deque] = defaultdict(deque)
        self._lock = threading.Lock()

    def check(self, bucket: str, client: str) -> None:
        """Count one request; raise RateLimited (with seconds to wait) past the bucket's limit."""
        limit = self.limits[bucket]
        now = self.clock()
        with self._lock:
            hits = self._hits[(bucket, client)]
            while hits and now - hits[0] >= WINDOW_SECONDS:
                hits.popleft()
            if len(hits) >= limit:
                retry_after = max(1, int(WINDOW_SECONDS - (now - hits[0])) + 1)
                raise RateLimited(f"请求过于频繁,请 {retry_after} 秒后再试 / too many requests; retry in {retry_after} s", retry_after)
            hits.append(now)
