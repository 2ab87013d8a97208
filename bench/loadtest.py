"""The load test: concurrent clients on loopback mixing questions, searches and ticket creation.

The bot is served in this process (uvicorn in a thread, the index of the settings, a fresh
temporary SQLite store, rate limits lifted: on loopback every client shares one address).
Every ticket POST carries an Idempotency-Key; the two clients of a pair send the same key at
the same moment, and one of them sends it again a moment later, as a client retrying after a
lost response would. Afterwards the store is counted: every key that got a 201 holds exactly
one ticket, and no ticket exists that no client was told about.

    python -m bench.loadtest                       # the full form: 50 clients, 60 s
    python -m bench.loadtest --clients 50 --seconds 10 --json
"""

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from collections import defaultdict
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import text

from bench.loadgen import Call, LoadResult, free_port, run_load

QUESTIONS = (
    "电话铃响几声必须接听",
    "保质期满的产品能退吗",
    "投诉预警信息多久内要上报",
    "客户来电时首问语怎么说",
    "售后服务完成后多久进行电话回访",
    "转人工",
    "今天天气怎么样",
)
SEARCHES = ("投诉预警", "退货", "回访", "首问语")
PERIOD = 10  # calls per round of one client: 5 asks, 3 searches, a ticket and (every other round) its retry
TICKET_KINDS = ("ticket", "ticket_retry")


def mixed_calls(run_id: str):
    """The call a client sends as its n-th request: a pure function of (client, n)."""

    def make_call(worker: int, n: int) -> Call:
        pair = worker // 2  # both clients of a pair share ticket keys and timing
        step = n + pair
        slot, round_ = step % PERIOD, step // PERIOD
        key = f"{run_id}-{pair}-{round_}"
        ticket = {"name": f"压测{pair}", "phone": "13800138000", "channel": "api"}
        if slot == 7:
            return Call("ticket", "POST", "/api/tickets", json=ticket, headers={"Idempotency-Key": key})
        if slot == 8 and round_ % 2 == 0 and worker % 2 == 0:
            return Call("ticket_retry", "POST", "/api/tickets", json=ticket, headers={"Idempotency-Key": key})
        if slot in (5, 6, 8):
            return Call("search", "GET", "/api/search", params={"q": SEARCHES[(worker + n) % len(SEARCHES)], "k": 3})
        persona = "agent" if worker % 5 == 0 else "customer"
        return Call("ask", "POST", "/api/ask", json={"question": QUESTIONS[(worker + n) % len(QUESTIONS)], "persona": persona})

    return make_call


def ticket_ledger(result: LoadResult) -> dict[str, set[str]]:
    """Idempotency key -> the ticket ids the clients were given for it."""
    given: dict[str, set[str]] = defaultdict(set)
    for call, status, body in result.bodies:
        if call.kind in TICKET_KINDS and status == 201 and body:
            given[call.headers["Idempotency-Key"]].add(body["ticket_id"])
    return given


def stored_tickets(store, run_id: str) -> list[tuple[str, str]]:
    with store.session() as db:
        rows = db.execute(text("SELECT idempotency_key, id FROM tickets WHERE idempotency_key LIKE :prefix"), {"prefix": run_id + "-%"})
        return [(key, ticket_id) for key, ticket_id in rows]


def check_tickets(result: LoadResult, store, run_id: str) -> dict:
    given = ticket_ledger(result)
    stored = stored_tickets(store, run_id)
    stored_by_key: dict[str, list[str]] = defaultdict(list)
    for key, ticket_id in stored:
        stored_by_key[key].append(ticket_id)
    created = {ticket_id for ids in given.values() for ticket_id in ids}
    sent = [call.headers["Idempotency-Key"] for call, _, _ in result.bodies if call.kind in TICKET_KINDS]
    return {
        "ticket_posts": len(sent),
        "repeated_key_posts": len(sent) - len(set(sent)),
        "created": len(created),
        "stored": len(stored),
        "keys_given_two_ids": sum(1 for ids in given.values() if len(ids) > 1),
        "keys_stored_twice": sum(1 for ids in stored_by_key.values() if len(ids) > 1),
        "created_not_stored": len(created - {ticket_id for _, ticket_id in stored}),
    }


def passed(report: dict) -> bool:
    load, tickets = report["load"], report["tickets"]
    every_status_ok = all(200 <= int(status) < 300 for status in load["statuses"])
    return (
        every_status_ok and load["transport_errors"] == 0 and tickets["created"] == tickets["stored"]
        and tickets["keys_given_two_ids"] == tickets["keys_stored_twice"] == tickets["created_not_stored"] == 0
    )


@contextmanager
def serve_in_thread(app):
    """The app on a free loopback port, in a background thread; stopped on exit."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", backlog=256))
    thread = threading.Thread(target=server.run, name="kefu-loadtest-server", daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the load-test server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


def run_loadtest(settings, encoder=None, *, clients: int = 50, seconds: float = 60.0) -> dict:
    """Serve the index of `settings` with a fresh store and lifted rate limits, load it, check it."""
    from bot.app import create_app

    run_id = uuid.uuid4().hex[:8]
    with tempfile.TemporaryDirectory(prefix="kefu-load-") as tmp:
        limits = {"ask_rate_per_minute": 10**9, "ticket_rate_per_minute": 10**9}
        served = settings.model_copy(update={"database_url": f"sqlite:///{Path(tmp) / 'load.db'}", **limits})
        app = create_app(served, encoder=encoder)
        with serve_in_thread(app) as base_url:
            result = run_load(base_url, mixed_calls(run_id), clients=clients, seconds=seconds, keep_bodies=True)
            tickets = check_tickets(result, app.state.bot.records.store, run_id)
        app.state.bot.records.store.engine.dispose()
    report = {"clients": clients, "load": result.summary(), "tickets": tickets}
    report["passed"] = passed(report)
    return report


def render(report: dict) -> str:
    load, tickets = report["load"], report["tickets"]
    lines = [
        f"{report['clients']} clients, {load['seconds']} s, {load['requests']} requests ({load['throughput_rps']} req/s), "
        f"statuses {load['statuses']}, transport errors {load['transport_errors']}",
        f"{'kind':<14}{'n':>7}{'p50 ms':>10}{'p95 ms':>10}{'p99 ms':>10}",
    ]
    for kind, stats in {"all": load["latency_ms"], **load["by_kind"]}.items():
        lines.append(f"{kind:<14}{stats['n']:>7}{stats['p50']:>10}{stats['p95']:>10}{stats['p99']:>10}")
    lines.append(
        f"tickets: {tickets['ticket_posts']} POSTs ({tickets['repeated_key_posts']} with a key already sent), "
        f"{tickets['created']} created, {tickets['stored']} stored, duplicates {tickets['keys_stored_twice']}"
    )
    lines.append("PASS" if report["passed"] else "FAIL")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Load the bot on loopback: ask, search and tickets from concurrent clients.")
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (default 50)")
    parser.add_argument("--seconds", type=float, default=60.0, help="how long to send (default 60, at most 60)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    args = parser.parse_args(argv)
    if not 1 <= args.clients <= 200 or not 0 < args.seconds <= 60:
        parser.error("--clients must be 1-200 and --seconds 0-60: the load test is bounded")
    from kefu.settings import load_settings

    report = run_loadtest(load_settings(), clients=args.clients, seconds=args.seconds)
    print(json.dumps(report, ensure_ascii=False, indent=2) if args.json else render(report))
    return 0 if report["passed"] else 1


if __name__ == "__main__":
    sys.exit(main())
