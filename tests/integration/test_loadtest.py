"""The load test in its short form: 50 clients for 10 s on loopback against the real app, model,
index and a SQLite file (the full 60 s form: `python -m bench.loadtest`)."""

from bench.loadtest import render, run_loadtest


def test_fifty_clients_mixing_ask_search_and_tickets(built_settings, encoder):
    report = run_loadtest(built_settings, encoder, clients=50, seconds=10)
    print("\n" + render(report))  # p50/p95 per kind, shown with `pytest -s`
    load, tickets = report["load"], report["tickets"]
    assert load["transport_errors"] == 0 and all(200 <= int(s) < 300 for s in load["statuses"]), load["statuses"]
    assert {"ask", "search", "ticket", "ticket_retry"} <= set(load["by_kind"])
    assert tickets["repeated_key_posts"] > 0  # retries and concurrent duplicates were really sent
    assert tickets["created"] == tickets["stored"] > 0
    assert tickets["keys_given_two_ids"] == tickets["keys_stored_twice"] == tickets["created_not_stored"] == 0
    assert report["passed"]
