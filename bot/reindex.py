"""Re-index and roll back while the bot keeps answering: the build runs in a background
thread against its own files; the new version is loaded, then swapped in by one assignment."""

import threading
from datetime import datetime, timezone

from bot.errors import Conflict
from bot.gate import quality_gate
from bot.retrieve.index import LoadedIndex, load_current
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.search import Searcher
from bot.service import BotService, Reader
from indexer.build import build_index
from indexer.versions import previous_version, set_current
from kefu.errors import IndexMissing, KefuError
from kefu.model import Encoder
from kefu.settings import Settings, index_root
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
    """Builds and rolls back for one service; the first build of a server started without an
    index gives the service its first reader."""

    def __init__(self, settings: Settings, service: BotService, encoder: Encoder, queries: QueryEncoder, tokenizer: Tokenizer):
        self.settings = settings
        self.service = service
        self.encoder = encoder
        self.queries = queries
        self.tokenizer = tokenizer
        self._lock = threading.Lock()
        self.status: dict = {"state": "idle"}

    def start(self, force: bool = False) -> dict:
        if not self._lock.acquire(blocking=False):
            raise Conflict("已有重建索引任务在进行 / a re-index is already running")
        self.status = {"state": "running", "started_at": datetime.now(timezone.utc)}
        threading.Thread(target=self._run, args=(force,), name="kefu-reindex", daemon=True).start()
        return self.status

    def _run(self, force: bool) -> None:
        try:
            reader = self.service.reader
            old = reader.searcher.index if reader else None
            gate = None if force else quality_gate(self.settings, self.queries, self.tokenizer)
            result = build_index(self.settings, encoder=self.encoder, gate=gate, progress=self._report, tokenizer=self.tokenizer)
            self._report("switch", 0, 1)
            new = self._swap_to_current()
            self._report("switch", 1, 1)
            self.status = {**self.status, "state": "done", "version": result.version, "summary": result.summary(), "changes": chunk_changes(old, new)}
        except KefuError as exc:
            self.status = {**self.status, "state": "failed", "error": str(exc)}
        except Exception as exc:  # a crashed build must not leave the status "running" forever
            self.status = {**self.status, "state": "failed", "error": f"{type(exc).__name__}: {exc}"}
        finally:
            self.status["finished_at"] = datetime.now(timezone.utc)
            self._lock.release()

    def _report(self, stage: str, done: int, total: int) -> None:
        # One reference assignment: a poller sees the old status or the new one, never half.
        self.status = {**self.status, "progress": {"stage": stage, "done": done, "total": total}}

    def _swap_to_current(self) -> LoadedIndex:
        index = load_current(self.settings)
        self.service.use_reader(Reader.from_searcher(Searcher(index, self.queries, self.tokenizer, self.settings)))
        return index

    def rollback(self) -> str:
        with self._lock:
            root = index_root(self.settings)
            try:
                version = previous_version(root)
            except IndexMissing as exc:  # nothing older: a conflict with the state, not an outage
                raise Conflict(str(exc)) from exc
            set_current(root, version)
            return self._swap_to_current().version

    def wait(self, timeout: float | None = None) -> dict:
        """Block until no re-index runs (for the CLI and tests)."""
        if self._lock.acquire(timeout=-1 if timeout is None else timeout):
            self._lock.release()
        return self.status
