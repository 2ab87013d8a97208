"""A micro-batcher: callers on many threads each ask for one text's vector; the texts waiting
together are encoded in one batch, so concurrent requests share a forward pass.

Leader and followers, no thread of its own: a caller who finds nobody encoding encodes at
once, in its own thread (a lone request pays no hand-off), taking every text queued by then
(after waiting `wait_ms` for company, when set). Callers arriving meanwhile queue and sleep;
when the batch is done the leader hands the lead to the first of them, who encodes all the
queued texts in one batch. Each caller gets its own row; an error reaches every caller of
its batch. At most `max_batch` distinct texts go in one pass.
"""

import threading
import time
from collections.abc import Callable

import numpy as np


class _Pending:
    __slots__ = ("text", "done", "lead", "vector", "error")

    def __init__(self, text: str):
        self.text = text
        self.done = threading.Event()
        self.lead = False  # woken to encode the queue, not with a result
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None


class MicroBatcher:
    def __init__(self, encode_batch: Callable[[list[str]], np.ndarray], wait_ms: float = 0.0, max_batch: int = 32):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._encode_batch = encode_batch
        self._wait = wait_ms / 1000
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._leading = False
        self.batches = 0  # batches encoded, and texts in them: how much batching happened
        self.texts = 0

    def encode(self, text: str) -> np.ndarray:
        """This text's vector, encoded together with whatever other threads ask for meanwhile."""
        pending = _Pending(text)
        with self._lock:
            self._queue.append(pending)
            lead = not self._leading
            self._leading = True
        if not lead:
            pending.done.wait()
            lead = pending.lead
        if lead:
            self._lead()
        if pending.error is not None:
            raise pending.error
        return pending.vector

    def _lead(self) -> None:
        """Encode one batch from the head of the queue (the leader is its first), then pass the lead on."""
        if self._wait:
            time.sleep(self._wait)
        with self._lock:
            batch, self._queue = self._take()
        self._encode(batch)
        with self._lock:
            if self._queue:
                successor = self._queue[0]
                successor.lead = True
                successor.done.set()
            else:
                self._leading = False

    def _take(self) -> tuple[list[_Pending], list[_Pending]]:
        """The queued callers whose texts fit in one batch (repeated texts count once), and the rest."""
        distinct: set[str] = set()
        for position, pending in enumerate(self._queue):
            distinct.add(pending.text)
            if len(distinct) > self._max_batch:
                return self._queue[:position], self._queue[position:]
        return self._queue, []

    def _encode(self, batch: list[_Pending]) -> None:
        distinct = list(dict.fromkeys(p.text for p in batch))
        try:
            rows = dict(zip(distinct, self._encode_batch(distinct)))
            for pending in batch:
                pending.vector = rows[pending.text]
        except BaseException as exc:  # every waiting caller must wake up, with the error
            for pending in batch:
                pending.error = exc
        self.batches += 1
        self.texts += len(distinct)
        for pending in batch:
            pending.lead = False
            pending.done.set()
