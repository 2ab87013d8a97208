"""A micro-batcher: callers on many threads each ask for one text's vector; one worker thread
encodes the texts waiting together in one batch, so concurrent requests share a forward pass.

A caller blocks only on its own result. Once a text arrives the worker waits at most
`wait_ms` for company (0: it takes only the texts already queued, which pile up while the
previous batch is encoded), encodes at most `max_batch` distinct texts, and hands each caller
its own row. An error in the encode reaches every caller of that batch.
"""

import queue
import threading
import time
from collections.abc import Callable

import numpy as np

_STOP = object()


class _Pending:
    __slots__ = ("text", "done", "vector", "error")

    def __init__(self, text: str):
        self.text = text
        self.done = threading.Event()
        self.vector: np.ndarray | None = None
        self.error: BaseException | None = None


class MicroBatcher:
    def __init__(self, encode_batch: Callable[[list[str]], np.ndarray], wait_ms: float = 0.0, max_batch: int = 32):
        if max_batch < 1:
            raise ValueError(f"max_batch must be at least 1, not {max_batch}")
        self._encode_batch = encode_batch
        self._wait = wait_ms / 1000
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._start_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.batches = 0  # batches encoded, and texts in them: how much batching happened
        self.texts = 0

    def encode(self, text: str) -> np.ndarray:
        """This text's vector, encoded together with whatever other threads ask for meanwhile."""
        pending = _Pending(text)
        self._ensure_worker()
        self._queue.put(pending)
        pending.done.wait()
        if pending.error is not None:
            raise pending.error
        return pending.vector

    def close(self) -> None:
        """Stop the worker after the texts already queued (idempotent)."""
        with self._start_lock:
            worker, self._worker = self._worker, None
        if worker is not None:
            self._queue.put(_STOP)
            worker.join()

    def _ensure_worker(self) -> None:
        if self._worker is None:
            with self._start_lock:
                if self._worker is None:
                    self._worker = threading.Thread(target=self._run, name="kefu-query-batcher", daemon=True)
                    self._worker.start()

    def _collect(self, first: _Pending) -> tuple[list[_Pending], bool]:
        """The batch that starts with `first`, and whether a stop request came with it."""
        batch, deadline = [first], time.monotonic() + self._wait
        while len(batch) < self._max_batch:
            try:
                remaining = deadline - time.monotonic()
                item = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if item is _STOP:
                return batch, True
            batch.append(item)
        return batch, False

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch, stop = self._collect(first)
            self._encode(batch)
            if stop:
                return

    def _encode(self, batch: list[_Pending]) -> None:
        distinct = list(dict.fromkeys(p.text for p in batch))
        try:
            vectors = self._encode_batch(distinct)
            rows = dict(zip(distinct, vectors))
            for pending in batch:
                pending.vector = rows[pending.text]
        except BaseException as exc:  # every waiting caller must wake up, with the error
            for pending in batch:
                pending.error = exc
        self.batches += 1
        self.texts += len(distinct)
        for pending in batch:
            pending.done.set()
