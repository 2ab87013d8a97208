"""Bench section: where an answer's time goes, in-process, with a real SQLite store.

`BotService.ask` runs for each gold question in its kb, a third of them as follow-ups in the
previous question's session, with the query cache off. The store (bot.records.Records) is
wrapped by `TimedRecords`, which times each of its calls and counts the database transactions
the engine commits, so the split store / rest comes from the real code path, not a copy of it.

`python -m bench.ask_profile` prints the split and a cProfile of the same loop (the functions
with the most cumulative and own time): the profile docs/performance.md quotes.
"""

import cProfile
import io
import pstats
import tempfile
import time
from collections import defaultdict
from pathlib import Path

from sqlalchemy import event

from bench.loadgen import latency_summary
from bot.records import Records
from bot.retrieve.query_cache import QueryCache
from bot.service import BotService
from bot.store.db import open_store

FOLLOW_UP_EVERY = 3  # every third question is asked in the session of the one before


class TimedRecords:
    """Records with every call timed by method name; `commits` counts committed transactions."""

    def __init__(self, records: Records):
        self._records = records
        self.times: dict[str, list[float]] = defaultdict(list)
        self.commits = 0
        event.listen(records.store.engine, "commit", self._committed)

    def _committed(self, _connection) -> None:
        self.commits += 1

    def __getattr__(self, name: str):
        method = getattr(self._records, name)

        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return method(*args, **kwargs)
            finally:
                self.times[name].append((time.perf_counter() - started) * 1000)

        return timed


def ask_all(service: BotService, asked: list[tuple[str, str]]) -> list[float]:
    """Milliseconds of each `ask`; every FOLLOW_UP_EVERY-th in the previous answer's session."""
    times, session_id = [], None
    for number, (question, kb) in enumerate(asked):
        started = time.perf_counter()
        result = service.ask(question, session_id if number % FOLLOW_UP_EVERY else None, kb=kb)
        times.append((time.perf_counter() - started) * 1000)
        session_id = result.session_id
    return times


def bench_ask(service: BotService, asked: list[tuple[str, str]], ticket_key_secret: str = "bench") -> dict:
    """`ask` with a fresh SQLite store in a temporary folder: total, store calls and commits per answer."""
    saved_store, saved_cache = service.store, service.queries.cache
    with tempfile.TemporaryDirectory(prefix="kefu-bench-store-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'kefu.db'}")
        timed = TimedRecords(Records(store, ticket_key_secret))
        service.store, service.queries.cache = timed, QueryCache(0)
        try:
            ask_all(service, asked[:10])  # warm: first calls allocate
            timed.times.clear()
            timed.commits = 0
            total = ask_all(service, asked)
        finally:
            service.store, service.queries.cache = saved_store, saved_cache
            store.engine.dispose()
    store_ms = [sum(calls) for calls in zip(*timed.times.values())] if timed.times else []
    return {
        "total": latency_summary(total), "store": latency_summary(store_ms),
        "calls": {name: latency_summary(values) for name, values in sorted(timed.times.items())},
        "commits_per_answer": round(timed.commits / len(total), 2),
    }


def profile_ask(service: BotService, asked: list[tuple[str, str]], lines: int = 25) -> str:
    """cProfile of the same loop, sorted by cumulative and by own time."""
    profiler = cProfile.Profile()
    profiler.runcall(ask_all, service, asked)
    out = io.StringIO()
    for order in ("cumulative", "tottime"):
        pstats.Stats(profiler, stream=out).strip_dirs().sort_stats(order).print_stats(lines)
    return out.getvalue()


def main() -> None:
    from bot.assemble import open_bot
    from kefu.gold import gold_file, load_gold
    from kefu.settings import load_settings

    settings = load_settings().model_copy(update={"query_cache_size": 0})
    bot = open_bot(settings, store=False)
    asked = [(item.question, item.kb) for item in load_gold(gold_file(settings)) if item.kb in bot.service.readers]
    result = bench_ask(bot.service, asked)
    print(f"ask, {len(asked)} gold questions, SQLite store: total {result['total']}, store {result['store']}, "
          f"commits per answer {result['commits_per_answer']}")
    for name, summary in result["calls"].items():
        print(f"  {name}: {summary}")
    with tempfile.TemporaryDirectory(prefix="kefu-profile-store-") as tmp:
        store = open_store(f"sqlite:///{Path(tmp) / 'kefu.db'}")
        bot.service.store = Records(store, "bench")
        print(profile_ask(bot.service, asked))
        store.engine.dispose()


if __name__ == "__main__":
    main()
