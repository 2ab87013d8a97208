"""Engine, migrations and transactions of the store: SQLite (WAL) by default, PostgreSQL for
several replicas. Nothing is created at import."""

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from bot.store.errors import StoreBusy
from bot.store.migrations import MIGRATIONS

_LEDGER = "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at VARCHAR(40) NOT NULL)"
_PG_MIGRATION_LOCK = 4242_0001  # advisory lock id: one migrating replica at a time


def make_private(db_path: Path) -> None:
    """The database holds customers' names, phones and conversations: readable by its owner only.
    SQLite creates its -wal and -shm files with the database file's mode, so that one is
    created (or tightened) here, and any left from before are tightened too."""
    db_path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(db_path, os.O_WRONLY | os.O_CREAT, 0o600))
    for path in (db_path, db_path.with_name(db_path.name + "-wal"), db_path.with_name(db_path.name + "-shm")):
        try:
            os.chmod(path, 0o600)
        except (FileNotFoundError, PermissionError):  # no -wal or -shm yet; another user's file, not ours to change
            pass


def make_engine(url: str, timeout: float = 5.0) -> Engine:
    """`timeout`: seconds one attempt waits for a lock (SQLite, PostgreSQL) or a connection (PostgreSQL).
    Parameters are kept out of SQL errors and logs: they hold customers' names and phones."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    if url.startswith("sqlite:///"):
        make_private(Path(url[len("sqlite:///"):]))
        connect_args = {"timeout": timeout, "check_same_thread": False}
        engine = create_engine(url, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True)

        @event.listens_for(engine, "connect")
        def sqlite_pragmas(dbapi_connection, _record):
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    connect_args = {}
    if url.startswith("postgresql"):
        # PostgreSQL waits for a row or table lock forever by default: lock_timeout turns a busy
        # store into an error that with_retry can answer with a 503.
        connect_args = {"connect_timeout": max(1, round(timeout)), "options": f"-c lock_timeout={max(1, round(timeout * 1000))}"}
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, hide_parameters=True)


def migrate(engine: Engine) -> list[int]:
    """Apply the migrations not yet recorded, in order, under a lock; returns those applied."""
    applied = []
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text("SET LOCAL lock_timeout = 0"))  # a replica starting up waits for the one migrating
            connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _PG_MIGRATION_LOCK})
        connection.execute(text(_LEDGER))
        done = {row[0] for row in connection.execute(text("SELECT version FROM schema_migrations"))}
        for version in sorted(MIGRATIONS):
            if version in done:
                continue
            MIGRATIONS[version](connection)
            connection.execute(
                text("INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :at)"),
                {"v": version, "at": datetime.now(timezone.utc).isoformat()},
            )
            applied.append(version)
    return applied


class WriterTurns:
    """SQLite has one writer at a time, and a connection waiting for the lock polls for it,
    sleeping longer each try. Queued here instead, a process's writers take turns as soon as the
    one before commits. A turn not had within `timeout` seconds (the busy timeout's bound, so a
    database locked from outside makes no queue) raises StoreBusy, retried as a locked database is."""

    def __init__(self, timeout: float):
        self.timeout = timeout
        self._lock = threading.RLock()

    def __enter__(self) -> "WriterTurns":
        if not self._lock.acquire(timeout=self.timeout):
            raise StoreBusy(f"another writer of this process held the database for {self.timeout} s")
        return self

    def __exit__(self, *_) -> None:
        self._lock.release()


class Store:
    def __init__(self, engine: Engine, timeout: float = 5.0):
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._one_writer = WriterTurns(timeout) if engine.dialect.name == "sqlite" else nullcontext()

    @contextmanager
    def session(self, durable: bool = True) -> Iterator[Session]:
        """A transaction, committed when the block ends. `durable=False` for an answer's log and
        session state: its commit does not wait for the disk (an fsync was 2.7-8.7 ms of every
        answer). A crash of kefu's process still loses nothing; a power cut, an OS crash or a
        crash of the PostgreSQL server may lose the last such transactions, never a half of one,
        and never one committed before a later durable commit (which syncs the log up to itself).
        Tickets and what agents read are durable."""
        with self._one_writer, self._sessions() as db:
            try:
                set_durability(db, durable)
                yield db
                db.commit()
            except BaseException:
                db.rollback()
                raise

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading only: nothing is committed (on SQLite no transaction is begun)."""
        with self._sessions() as db:
            yield db


def set_durability(db: Session, durable: bool) -> None:
    """SQLite keeps `synchronous` per connection (a pooled one comes back with the last
    transaction's), so it is set for every transaction; PostgreSQL's SET LOCAL ends with it.
    On SQLite the PRAGMA runs before the transaction's first write, as it must."""
    dialect = db.get_bind().dialect.name
    if dialect == "sqlite":
        db.execute(text(f"PRAGMA synchronous={'FULL' if durable else 'NORMAL'}"))
    elif dialect == "postgresql" and not durable:
        db.execute(text("SET LOCAL synchronous_commit TO OFF"))


def open_store(url: str, timeout: float = 5.0) -> Store:
    engine = make_engine(url, timeout)
    migrate(engine)
    return Store(engine, timeout)
