"""Re-index and roll back while the bot keeps answering: the build runs in a background
thread against its own files; the new version is loaded, then swapped in by one assignment."""

import threading
from datetime import datetime, timezone

from bot.errors import Conflict
from bot.gate import quality_gate
from bot.reader import Reader
from bot.retrieve.index import LoadedIndex, load_current
from bot.retrieve.query_encoder import QueryEncoder
from bot.service import BotService
from indexer.build import build_index
from indexer.kb_snapshots import roll_back
from kefu.errors import IndexMissing, KefuError
from kefu.kbs import find_kb
from kefu.model import Encoder
from kefu.settings import Settings
from kefu.text.tokenize import Tokenizer


def chunk_changes(old: LoadedIndex | None, new: LoadedIndex) -> dict[str, dict[str, int]]:
    """Per document: chunks added, removed, and sections whose text changed."""
    def by_doc(index):
        table: dict[str, dict[str, set]] = {}
        for chunk in index.chunks if index else []:
            entry = table.setdefault(chunk.doc, {"ids": set(), "sections": {}})
            entry["ids"].add(chunk.id)
            entry["sections"].setdefault(chunk.section, set()).add(chunk.id)
        return table

    before, after = by_doc(old), by_doc(new)
    changes = {}
    for doc in sorted(set(before) | set(after)):
        old_doc = before.get(doc, {"ids": set(), "sections": {}})
        new_doc = after.get(doc, {"ids": set(), "sections": {}})
        common = set(old_doc["sections"]) & set(new_doc["sections"])
        changed = sum(1 for s in common if old_doc["sections"][s] != new_doc["sections"][s])
        entry = {"added": len(new_doc["ids"] - old_doc["ids"]), "removed": len(old_doc["ids"] - new_doc["ids"]), "changed": changed}
        if any(entry.values()):
            changes[doc] = entry
    return changes


class Reindexer:
    """Builds and rolls back knowledge bases for one service, each kb on its own: one build or
    rollback at a time per kb (a second gets 409 at once), others' answers never change. The
    first build of a kb gives the service its first reader for it."""

    def __init__(self, settings: Settings, service: BotService, encoder: Encoder, queries: QueryEncoder, tokenizer: Tokenizer):
        self.settings = settings
        self.service = service
        self.encoder = encoder
        self.queries = queries
        self.tokenizer = tokenizer
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._status: dict[str, dict] = {}

    def _lock(self, kb: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(kb, threading.Lock())

    def _known(self, kb: str) -> str:
        find_kb(self.settings, kb)  # an unknown kb is a 404, not a failed build
        return kb

    def status(self, kb: str) -> dict:
        return self._status.get(self._known(kb), {"state": "idle"})

    def start(self, kb: str, force: bool = False) -> dict:
        lock = self._lock(self._known(kb))
        if not lock.acquire(blocking=False):
            raise Conflict(f"知识库 {kb} 已有重建索引或回滚在进行 / a re-index or rollback of {kb} is already running")
        self._status[kb] = {"state": "running", "kb": kb, "started_at": datetime.now(timezone.utc)}
        threading.Thread(target=self._run, args=(kb, force, lock), name=f"kefu-reindex-{kb}", daemon=True).start()
        return self._status[kb]

    def _run(self, kb: str, force: bool, lock: threading.Lock) -> None:
        try:
            reader = self.service.readers.get(kb)
            gate = None if force else quality_gate(self.settings, self.queries, self.tokenizer, kb, progress=lambda *p: self._report(kb, *p))
            result = build_index(self.settings, kb, encoder=self.encoder, gate=gate, progress=lambda *p: self._report(kb, *p), tokenizer=self.tokenizer)
            self._report(kb, "switch", 0, 1)
            new = self._swap_to_current(kb)
            self._report(kb, "switch", 1, 1)
            changes = chunk_changes(reader.index if reader else None, new)
            self._status[kb] = {**self._status[kb], "state": "done", "version": result.version, "summary": result.summary(), "result": result.facts(), "changes": changes}
        except KefuError as exc:
            self._status[kb] = {**self._status[kb], "state": "failed", "error": str(exc)}
        except Exception as exc:  # a crashed build must not leave the status "running" forever
            self._status[kb] = {**self._status[kb], "state": "failed", "error": f"{type(exc).__name__}: {exc}"}
        finally:
            self._status[kb]["finished_at"] = datetime.now(timezone.utc)
            lock.release()

    def _report(self, kb: str, stage: str, done: int, total: int) -> None:
        # One reference assignment: a poller sees the old status or the new one, never half.
        self._status[kb] = {**self._status[kb], "progress": {"stage": stage, "done": done, "total": total}}

    def _swap_to_current(self, kb: str) -> LoadedIndex:
        index = load_current(self.settings, kb)
        self.service.use_reader(Reader.from_index(index, self.tokenizer))
        return index

    def rollback(self, kb: str, version: str | None = None) -> dict:
        """Make `version` (a kept one; by default the one before the current) current, and the
        kb's documents those it was built from (indexer.kb_snapshots)."""
        lock = self._lock(self._known(kb))
        if not lock.acquire(blocking=False):
            raise Conflict(f"知识库 {kb} 正在重建索引,请稍后再回滚 / {kb} is being re-indexed; roll back when it has finished")
        try:
            try:
                _, documents = roll_back(self.settings, kb, version)
            except IndexMissing as exc:  # nothing older: a conflict with the state, not an outage
                raise Conflict(str(exc)) from exc
            served = self._swap_to_current(kb).version
            self._status[kb] = {"state": "idle", "kb": kb}  # the last build's outcome is no longer what is served
            return {"kb": kb, "version": served, "documents": documents}
        finally:
            lock.release()

    def wait(self, kb: str, timeout: float | None = None) -> dict:
        """Block until no re-index of `kb` runs (for the CLI and tests)."""
        lock = self._lock(kb)
        if lock.acquire(timeout=-1 if timeout is None else timeout):
            lock.release()
        return self.status(kb)
