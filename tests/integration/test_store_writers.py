"""SQLite lets one connection write at a time, and one waiting for its lock polls for it with
sleeps growing to 100 ms: a process's write transactions take turns instead (bot.store.db.
WriterTurns), from their start, and a turn not had within the store's timeout fails as a locked
database does. On a real SQLite file."""

import threading

import pytest
from sqlalchemy import text

from bot.records import Records
from bot.store.db import open_store
from bot.store.errors import StoreBusy, StoreUnavailable


def holding_a_turn(store, seconds: float, row: int | None = None) -> threading.Thread:
    """A writer in another thread that takes its turn and keeps it `seconds` before writing `row`."""
    holding = threading.Event()

    def hold() -> None:
        with store.session() as db:
            holding.set()
            threading.Event().wait(seconds)
            if row is not None:
                db.execute(text("INSERT INTO written VALUES (:n)"), {"n": row})

    thread = threading.Thread(target=hold)
    thread.start()
    assert holding.wait(10)
    return thread


def new_store(tmp_path, timeout: float):
    store = open_store(f"sqlite:///{tmp_path / 'kefu.db'}", timeout=timeout)
    with store.session() as db:
        db.execute(text("CREATE TABLE written (n INTEGER)"))
    return store


def test_a_write_waits_for_the_transaction_before_it_to_commit(tmp_path):
    """The second writer comes while the first has written nothing yet (SQLite's lock is free):
    it still waits for the first to commit, so the rows are in the order the turns were taken."""
    store = new_store(tmp_path, timeout=5.0)
    first = holding_a_turn(store, 0.5, row=1)
    with store.session() as db:
        db.execute(text("INSERT INTO written VALUES (2)"))
    first.join(10)
    with store.read() as db:
        assert list(db.execute(text("SELECT n FROM written ORDER BY rowid")).scalars()) == [1, 2]


def test_a_turn_not_had_within_the_timeout_fails_as_a_locked_database_does(tmp_path):
    """A writer stuck in its turn makes no unbounded queue: the next waits the store's timeout,
    then StoreBusy, which the bot's calls retry and answer with 503 store_unavailable."""
    store = new_store(tmp_path, timeout=0.2)
    stuck = holding_a_turn(store, 3.0)
    try:
        with pytest.raises(StoreBusy):
            with store.session():
                pass
        records = Records(store, "secret")
        assert records.session_state(None, "customer", "api")["new"]  # a read needs no turn
        with pytest.raises(StoreUnavailable):
            records.forward_to_ticket({"id": "s", "ticket_id": "t"}, "你好", 30)
    finally:
        stuck.join(10)
