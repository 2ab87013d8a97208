"""Re-index and roll back while the bot keeps answering: the build runs in a background
thread against its own files; the new version is loaded, then swapped in by one assignment.
A version another process made current is followed the same way (`follow_current`)."""

import json
import os
import threading
from contextlib import ExitStack
from datetime import datetime, timezone

from bot.errors import Conflict
from bot.gate import quality_gate
from bot.reader import Reader
from bot.retrieve.index import LoadedIndex, load_current
from bot.retrieve.query_encoder import QueryEncoder
from bot.service import BotService
from indexer.build import build_index, build_lock
from indexer.kb_snapshots import roll_back
from indexer.versions import current_version, write_json_atomic
from kefu.errors import BuildRunning, IndexMissing, KefuError
from kefu.kbs import find_kb
from kefu.model import Encoder
from kefu.settings import Settings, index_root
from kefu.text.tokenize import Tokenizer

# The kb's last re-index as its worker reports it, in the index root: another worker of the same
# `kefu serve --workers N` asked for the progress answers with it too.
STATUS_FILE = "reindex-status.json"
INTERRUPTED = "重建索引中断(进程已退出),仍在使用原索引 / the re-index was interrupted (its process stopped); the previous version is served"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def process_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


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
    rollback at a time per kb, in this process or any other sharing the data dir (a second gets
    409 at once), others' answers never change. The first build of a kb gives the service its
    first reader for it."""

    def __init__(self, settings: Settings, service: BotService, encoder: Encoder, queries: QueryEncoder, tokenizer: Tokenizer):
        self.settings = settings
        self.service = service
        self.encoder = encoder
        self.queries = queries
        self.tokenizer = tokenizer
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()
        self._swap = threading.Lock()  # one load-and-swap at a time, so an older load never lands after a newer one
        self._status: dict[str, dict] = {}

    def _lock(self, kb: str) -> threading.Lock:
        with self._locks_guard:
            return self._locks.setdefault(kb, threading.Lock())

    def _known(self, kb: str) -> str:
        find_kb(self.settings, kb)  # an unknown kb is a 404, not a failed build
        return kb

    def status(self, kb: str) -> dict:
        """The kb's last re-index, whichever process ran it; one whose process died is failed."""
        try:
            status = json.loads((index_root(self.settings, self._known(kb)) / STATUS_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return self._status.get(kb, {"state": "idle"})
        if status.get("state") == "running" and not process_alive(status.get("pid")):
            return {**status, "state": "failed", "error": INTERRUPTED}
        return status

    def _publish(self, kb: str, status: dict) -> dict:
        # One reference assignment and one atomic file: a poller sees the old status or the new one, never half.
        self._status[kb] = status
        write_json_atomic(index_root(self.settings, kb) / STATUS_FILE, status)
        return status

    def _claim(self, kb: str, busy: str) -> ExitStack:
        """The kb's one build slot, in this process and across processes (its index root's build
        lock), held until the returned stack is closed; Conflict (409) saying `busy` if taken."""
        lock = self._lock(kb)
        if not lock.acquire(blocking=False):
            raise Conflict(busy)
        claim = ExitStack()
        claim.callback(lock.release)
        try:
            claim.enter_context(build_lock(index_root(self.settings, kb), wait=False))
        except BuildRunning:
            claim.close()
            raise Conflict(busy) from None
        return claim

    def start(self, kb: str, force: bool = False) -> dict:
        claim = self._claim(self._known(kb), f"知识库 {kb} 已有重建索引或回滚在进行 / a re-index or rollback of {kb} is already running")
        try:
            status = self._publish(kb, {"state": "running", "kb": kb, "started_at": now_iso(), "pid": os.getpid()})
        except OSError:
            claim.close()
            raise
        threading.Thread(target=self._run, args=(kb, force, claim), name=f"kefu-reindex-{kb}", daemon=True).start()
        return status

    def _run(self, kb: str, force: bool, claim: ExitStack) -> None:
        try:
            reader = self.service.readers.get(kb)
            gate = None if force else quality_gate(self.settings, self.queries, self.tokenizer, kb, progress=lambda *p: self._report(kb, *p))
            result = build_index(
                self.settings, kb, encoder=self.encoder, gate=gate, progress=lambda *p: self._report(kb, *p), tokenizer=self.tokenizer,
                take_lock=False,  # the claim holds it
            )
            self._report(kb, "switch", 0, 1)
            new = self._swap_to_current(kb)
            self._report(kb, "switch", 1, 1)
            changes = chunk_changes(reader.index if reader else None, new)
            outcome = {"state": "done", "version": result.version, "summary": result.summary(), "result": result.facts(), "changes": changes}
        except KefuError as exc:
            outcome = {"state": "failed", "error": str(exc)}
        except Exception as exc:  # a crashed build must not leave the status "running" forever
            outcome = {"state": "failed", "error": f"{type(exc).__name__}: {exc}"}
        try:
            self._publish(kb, {**self._status[kb], **outcome, "finished_at": now_iso()})
        finally:
            claim.close()

    def _report(self, kb: str, stage: str, done: int, total: int) -> None:
        self._publish(kb, {**self._status[kb], "progress": {"stage": stage, "done": done, "total": total}})

    def _swap_to_current(self, kb: str) -> LoadedIndex:
        with self._swap:
            index = load_current(self.settings, kb)
            self.service.use_reader(Reader.from_index(index, self.tokenizer))
            return index

    def follow_current(self, kb: str) -> str | None:
        """Serve the kb's current version if it is not the one served: another process made it
        current (a re-index or rollback in another worker, `kefu index`). The version now served,
        or None when nothing changed."""
        with self._swap:
            reader = self.service.readers.get(kb)
            if reader is not None and reader.version == current_version(index_root(self.settings, kb)):
                return None
        return self._swap_to_current(kb).version

    def rollback(self, kb: str, version: str | None = None) -> dict:
        """Make `version` (a kept one; by default the one before the current) current, and the
        kb's documents those it was built from (indexer.kb_snapshots)."""
        with self._claim(self._known(kb), f"知识库 {kb} 正在重建索引,请稍后再回滚 / {kb} is being re-indexed; roll back when it has finished"):
            try:
                _, documents = roll_back(self.settings, kb, version)
            except IndexMissing as exc:  # nothing older: a conflict with the state, not an outage
                raise Conflict(str(exc)) from exc
            served = self._swap_to_current(kb).version
            self._publish(kb, {"state": "idle", "kb": kb})  # the last build's outcome is no longer what is served
            return {"kb": kb, "version": served, "documents": documents}

    def wait(self, kb: str, timeout: float | None = None) -> dict:
        """Block until no re-index of `kb` runs (for the CLI and tests)."""
        lock = self._lock(kb)
        if lock.acquire(timeout=-1 if timeout is None else timeout):
            lock.release()
        return self.status(kb)
