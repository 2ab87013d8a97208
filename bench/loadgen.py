"""A bounded load generator for the bot's HTTP API on loopback.

Async clients each send calls until their count or the deadline runs out, then stop by
themselves; every call is timed and its status counted. `kefu bench` and the load tests share it.

The clients are aiohttp's, not httpx's: on the same two cores as the server, httpx spent 2.2 ms
of CPU per request (and ~2 ms of each measured latency) against aiohttp's 0.35 ms, measured on
/healthz in one run on 2026-12-02: a load generator that heavy measured itself as much as the server.
"""

import asyncio
import json
import socket
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import aiohttp

from eval.metrics import percentile


@dataclass(frozen=True)
class Call:
    """One request; `kind` names it in the results (ask, search, ticket ...)."""

    kind: str
    method: str
    path: str
    json: dict | None = None
    params: dict | None = None
    headers: dict | None = None


@dataclass
class LoadResult:
    seconds: float = 0.0
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    transport_errors: int = 0
    bodies: list[tuple[Call, int, dict | None]] = field(default_factory=list)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    def summary(self) -> dict:
        every = [ms for values in self.latencies.values() for ms in values]
        kinds = {kind: latency_summary(values) for kind, values in sorted(self.latencies.items())}
        return {
            "requests": self.requests, "seconds": round(self.seconds, 2),
            "throughput_rps": round(self.requests / self.seconds, 1) if self.seconds else 0.0,
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())}, "transport_errors": self.transport_errors,
            "latency_ms": latency_summary(every), "by_kind": kinds,
        }


def free_port() -> int:
    """A loopback port nobody listens on (for a server a benchmark or test starts)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def latency_summary(values_ms: list[float]) -> dict:
    return {
        "n": len(values_ms), "p50": round(percentile(values_ms, 0.50), 2),
        "p95": round(percentile(values_ms, 0.95), 2), "p99": round(percentile(values_ms, 0.99), 2),
    }


def check_loopback(base_url: str) -> None:
    """Load goes to this machine only."""
    host = urlsplit(base_url).hostname or ""
    if not (host == "localhost" or host.startswith("127.") or host == "::1"):
        raise ValueError(f"load may only target loopback (127.0.0.1, localhost, ::1), not {host!r}")


async def _client_loop(client: aiohttp.ClientSession, make_call: Callable[[int, int], Call], worker: int, result: LoadResult, deadline: float, count: int | None, keep_bodies: bool) -> None:
    sent = 0
    while time.perf_counter() < deadline and (count is None or sent < count):
        call = make_call(worker, sent)
        sent += 1
        started = time.perf_counter()
        try:
            async with client.request(call.method, call.path, json=call.json, params=call.params, headers=call.headers) as response:
                raw = await response.read()
        except (aiohttp.ClientError, asyncio.TimeoutError):
            result.transport_errors += 1
            continue
        result.latencies[call.kind].append((time.perf_counter() - started) * 1000)
        result.statuses[response.status] += 1
        if keep_bodies:
            body = json.loads(raw) if response.content_type == "application/json" else None
            result.bodies.append((call, response.status, body))


async def run_load_async(base_url: str, make_call: Callable[[int, int], Call], *, clients: int, seconds: float = 10.0, per_client: int | None = None, timeout: float = 30.0, keep_bodies: bool = False) -> LoadResult:
    check_loopback(base_url)
    result = LoadResult()
    connector = aiohttp.TCPConnector(limit=clients)
    async with aiohttp.ClientSession(base_url, connector=connector, timeout=aiohttp.ClientTimeout(total=timeout)) as client:
        started = time.perf_counter()
        deadline = started + seconds
        await asyncio.gather(*(_client_loop(client, make_call, w, result, deadline, per_client, keep_bodies) for w in range(clients)))
        result.seconds = time.perf_counter() - started
    return result


def run_load(base_url: str, make_call: Callable[[int, int], Call], **options) -> LoadResult:
    """`clients` concurrent clients until `seconds` pass or each has sent `per_client` calls."""
    return asyncio.run(run_load_async(base_url, make_call, **options))
