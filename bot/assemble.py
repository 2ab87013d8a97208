"""One function builds the bot from the settings: for the app's lifespan, the CLI and the
benchmarks alike. The model loads once; the index, the store and the re-indexer are wired here."""

import logging
import threading
from dataclasses import dataclass, field

from bot.auth import Tokens, load_tokens
from bot.reindex import Reindexer
from bot.retrieve.index import load_current
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.search import Searcher
from bot.service import BotService, Reader
from kefu.errors import IndexCorrupt, IndexMissing
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


def open_reader(settings: Settings, queries: QueryEncoder, tokenizer: Tokenizer) -> Reader | None:
    """The current index ready to answer from, or None (logged) when there is none yet."""
    try:
        index = load_current(settings)
    except (IndexMissing, IndexCorrupt) as exc:
        log.error("no index to serve: %s", exc)
        return None
    return Reader.from_searcher(Searcher(index, queries, tokenizer, settings))


@dataclass
class Bot:
    settings: Settings
    tokens: Tokens | None  # None for a bot without a store (the CLI's search)
    encoder: Encoder
    queries: QueryEncoder
    tokenizer: Tokenizer
    service: BotService
    reindexer: Reindexer
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


def open_bot(settings: Settings, encoder: Encoder | None = None, tokens: Tokens | None = None, store: bool = True) -> Bot:
    """The bot with its model, index (if one is built), store (unless `store` is False) and re-indexer."""
    encoder = encoder or Encoder(settings)
    tokens = tokens or (load_tokens(settings) if store else None)
    queries, tokenizer = QueryEncoder(encoder, settings), Tokenizer()
    records = open_records(settings, tokens.ticket_key_secret) if store else None
    service = BotService(settings, open_reader(settings, queries, tokenizer), records)
    reindexer = Reindexer(settings, service, encoder, queries, tokenizer)
    return Bot(settings, tokens, encoder, queries, tokenizer, service, reindexer)


def open_searcher(settings: Settings, encoder: Encoder | None = None) -> Searcher:
    """A searcher over the current index, for lookups that compose no answer (`kefu search`,
    the sweeps); raises IndexMissing / IndexCorrupt when there is none."""
    encoder = encoder or Encoder(settings)
    return Searcher(load_current(settings), QueryEncoder(encoder, settings), Tokenizer(), settings)
