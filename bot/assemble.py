"""One function builds the bot from the settings: for the app's lifespan, the CLI and the
benchmarks alike. The query model opens once (the document model loads on its first use: a
re-index); the index, the store and the re-indexer are wired here."""

import logging
import threading
from dataclasses import dataclass, field

from bot.auth import Tokens, load_tokens
from bot.decision import DecisionModel, load_decision_model
from bot.kb_files import KbFiles
from bot.reader import Reader
from bot.reindex import Reindexer
from bot.retrieve.index import LoadedIndex, load_current
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.search import Searcher
from bot.service import BotService
from bot.unanswered import Loop
from kefu.errors import IndexCorrupt, IndexMissing
from kefu.kbs import KnowledgeBase, list_kbs
from kefu.model import Encoder
from kefu.settings import Settings, database_url
from kefu.text.tokenize import Tokenizer

log = logging.getLogger("kefu")


def open_records(settings: Settings, ticket_key_secret: str):
    try:
        from bot.records import Records
        from bot.store.db import open_store

        return Records(open_store(database_url(settings), settings.store_timeout_seconds), ticket_key_secret)
    except Exception as exc:  # the bot still answers without a store; tickets return 503
        log.error("ticket store unavailable (%s): answering continues without tickets", type(exc).__name__)
        return None


def open_index(settings: Settings, kb: str) -> LoadedIndex | None:
    """The kb's current index, or None (logged) when it has none yet."""
    try:
        return load_current(settings, kb)
    except (IndexMissing, IndexCorrupt) as exc:
        log.error("knowledge base %s has no index to serve: %s", kb, exc)
        return None


def open_readers(settings: Settings, kbs: list[KnowledgeBase], tokenizer: Tokenizer) -> dict[str, Reader]:
    indexes = {kb.id: open_index(settings, kb.id) for kb in kbs}
    return {kb: Reader.from_index(index, tokenizer) for kb, index in indexes.items() if index is not None}


@dataclass
class Bot:
    settings: Settings
    tokens: Tokens | None  # None for a bot without a store (the CLI's search)
    encoder: Encoder
    queries: QueryEncoder
    tokenizer: Tokenizer
    service: BotService
    reindexer: Reindexer
    files: KbFiles | None = None  # the editors' view of kb/ (bot.kb_files)
    loop: Loop | None = None  # the editors' unanswered questions (bot.unanswered)
    _store_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def records(self):
        return self.service.store

    def reconnect_records(self):
        """One more attempt to open a store that was unreachable at start-up, so tickets come
        back when the database does; the bot answers with it again from then on."""
        with self._store_lock:
            if self.service.store is None:
                self.service.store = open_records(self.settings, self.tokens.ticket_key_secret)
            return self.service.store


def open_bot(settings: Settings, encoder: Encoder | None = None, tokens: Tokens | None = None, store: bool = True, decision: DecisionModel | None = None) -> Bot:
    """The bot with its model, index (if one is built), store (unless `store` is False), decision
    model (KEFU_DECISION_MODEL, or the one shipped, unless given) and re-indexer."""
    encoder = encoder or Encoder(settings)
    tokens = tokens or (load_tokens(settings) if store else None)
    queries, tokenizer = QueryEncoder(encoder, settings), Tokenizer()
    records = open_records(settings, tokens.ticket_key_secret) if store else None
    kbs = list_kbs(settings)
    decision = decision or load_decision_model(settings.decision_model)
    service = BotService(settings, queries, tokenizer, decision, {kb.id: kb for kb in kbs}, open_readers(settings, kbs, tokenizer), records)
    reindexer = Reindexer(settings, service, encoder, queries, tokenizer)
    files = KbFiles(settings)
    return Bot(settings, tokens, encoder, queries, tokenizer, service, reindexer, files, Loop(service, files))


def open_searcher(settings: Settings, kb: str | None = None, encoder: Encoder | None = None) -> Searcher:
    """A searcher over one kb's current index, or every kb's, for lookups that compose no answer
    (`kefu search`, the sweeps); raises IndexMissing / IndexCorrupt when one is missing."""
    kbs = [kb] if kb else [known.id for known in list_kbs(settings)]
    if not kbs:
        raise IndexMissing(f"{settings.kb_dir}: 没有知识库 / no knowledge bases (kb/<id>/kb.yaml)")
    encoder = encoder or Encoder(settings)
    return Searcher([load_current(settings, name) for name in kbs], QueryEncoder(encoder, settings), Tokenizer(), settings)
