"""SQLite lets one connection write at a time, and one waiting for the lock polls for it with
growing sleeps until its busy timeout: a process's write transactions queue for each other in
the process instead (bot.store.db.Store), on a real SQLite file."""

import time
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import text

from bot.store.db import open_store


def test_a_processs_writers_take_turns_instead_of_timing_out_on_sqlites_lock(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'kefu.db'}", timeout=0.05)
    with store.session() as db:
        db.execute(text("CREATE TABLE written (n INTEGER)"))

    def write(n: int) -> None:
        with store.session(durable=n % 2 == 0) as db:
            db.execute(text("INSERT INTO written VALUES (:n)"), {"n": n})
            time.sleep(0.2)  # holds SQLite's write lock four times the others' busy timeout

    with ThreadPoolExecutor(4) as pool:
        list(pool.map(write, range(4)))  # a writer that timed out would raise "database is locked" here
    with store.read() as db:
        assert sorted(db.execute(text("SELECT n FROM written")).scalars()) == [0, 1, 2, 3]
