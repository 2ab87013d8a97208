"""A thread-safe LRU cache of query vectors, keyed by the normalised query text.

Customers ask the same things in the same words (退货, 保质期); a repeated question skips the
model. The vectors handed out are read-only, so no caller can change another's copy.
"""

import threading
from collections import OrderedDict

import numpy as np


class QueryCache:
    def __init__(self, size: int):
        if size < 0:
            raise ValueError(f"cache size must be 0 (off) or more, not {size}")
        self.size = size
        self._rows: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = self.misses = 0

    def get(self, key: str) -> np.ndarray | None:
        with self._lock:
            vector = self._rows.get(key)
            if vector is None:
                self.misses += 1
                return None
            self._rows.move_to_end(key)
            self.hits += 1
            return vector

    def put(self, key: str, vector: np.ndarray) -> np.ndarray:
        """Store a read-only copy (the oldest entry goes when full) and return it."""
        frozen = np.array(vector, dtype=np.float32, copy=True)
        frozen.flags.writeable = False
        if self.size == 0:
            return frozen
        with self._lock:
            self._rows[key] = frozen
            self._rows.move_to_end(key)
            while len(self._rows) > self.size:
                self._rows.popitem(last=False)
        return frozen

    def __len__(self) -> int:
        return len(self._rows)
