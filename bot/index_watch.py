"""Every server process follows each knowledge base's CURRENT pointer: a version made current
by another process (a re-index or rollback in another worker of `kefu serve --workers N`,
`kefu index` at a terminal) is served within one watch interval, not at the next restart.

A round costs one stat per kb; the pointer is replaced by a rename at every switch, so a new
inode or mtime means a switch. Only then is the version compared and, if it differs, loaded
(bot.reindex.Reindexer.follow_current) and swapped in."""

import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path

from indexer.versions import pointer_path
from kefu.errors import KefuError

log = logging.getLogger(__name__)
Signature = tuple[int, int, int]


def pointer_signature(pointer: Path) -> Signature | None:
    try:
        stat = os.stat(pointer)
    except FileNotFoundError:
        return None
    return stat.st_ino, stat.st_mtime_ns, stat.st_size


class IndexWatcher:
    def __init__(self, roots: Callable[[], Iterable[tuple[str, Path]]], follow: Callable[[str], str | None]):
        """`roots`: (kb, its index root) for every kb, asked each round; `follow(kb)`: serve
        its current version if it is not served, returning the version loaded or None."""
        self.roots = roots
        self.follow = follow
        self._seen: dict[str, Signature] = {}

    def check(self) -> None:
        for kb, root in self.roots():
            signature = pointer_signature(pointer_path(root))
            if signature is None or signature == self._seen.get(kb):
                continue
            self._seen[kb] = signature  # tried once per switch: a refused version is not reloaded every round
            try:
                version = self.follow(kb)
            except KefuError as exc:
                log.error("knowledge base %s: cannot serve its current index: %s", kb, exc)
                continue
            if version:
                log.info("knowledge base %s: now serving index version %s, made current by another process", kb, version)
