"""Bench section: the real server on a free loopback port, driven by bench.loadgen.

The server is `kefu serve` in a child process over the bench's own data
dir, with the rate limit lifted (a load test is not abuse) and the query cache off, so every
request pays its encode. It is stopped when the section ends, whatever happens. The naive peer
(bench.peer_app) is served and driven the same way, for its /api/search.
"""

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.loadgen import Call, free_port, run_load
from kefu.settings import Settings

REPO = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 180
KEFU_APP = "bot.app:app_from_env"
PEER_APP = "bench.peer_app:create_peer_app"


def server_env(settings: Settings, overrides: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ, "KEFU_DATA_DIR": str(settings.data_dir.resolve()), "KEFU_KB_DIR": str(settings.kb_dir.resolve()),
        "KEFU_ASK_RATE_PER_MINUTE": "100000000", "KEFU_QUERY_CACHE_SIZE": "0", **overrides,
    }


def wait_ready(base_url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the bench server exited with {process.returncode}: {log.read_text()[-2000:]}")
        try:
            if httpx.get(base_url + "/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"the bench server was not ready within {START_TIMEOUT_S} s")


@contextmanager
def running_server(settings: Settings, overrides: dict[str, str] | None = None, app: str = KEFU_APP, workers: int = 1) -> Iterator[tuple[str, int]]:
    """(base URL, pid) of a server that is ready (with `workers` > 1, the pid of the workers'
    supervisor); terminated on exit."""
    port = free_port()
    if app == KEFU_APP:  # as a site runs it: kefu's protocol and options, its own workers' sockets
        server = [sys.executable, "-m", "kefu.cli", "serve"]
    else:
        server = [sys.executable, "-m", "uvicorn", app, "--factory", "--log-level", "warning"]
    command = [*server, "--host", "127.0.0.1", "--port", str(port), "--no-access-log", "--workers", str(workers)]
    with tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False) as log:
        process = subprocess.Popen(command, cwd=REPO, env=server_env(settings, overrides or {}), stdout=log, stderr=log)
    try:
        base_url = f"http://127.0.0.1:{port}"
        wait_ready(base_url, process, Path(log.name))
        yield base_url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        Path(log.name).unlink(missing_ok=True)


def worker_pids(base_url: str, workers: int) -> list[int]:
    """The workers' pids once every one answers /readyz (each names its own); a new connection
    per call, so that any worker may take it."""
    seen: set[int] = set()
    deadline = time.monotonic() + START_TIMEOUT_S
    while len(seen) < workers:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(seen)} of {workers} workers were ready within {START_TIMEOUT_S} s")
        try:
            seen.add(httpx.get(base_url + "/readyz", timeout=2).json()["pid"])
        except (httpx.HTTPError, KeyError, ValueError):
            time.sleep(0.3)
    return sorted(seen)


def memory_mb(pid: int) -> dict[str, float]:
    """Resident memory now and at its peak (VmRSS, VmHWM from /proc)."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = round(int(value.split()[0]) / 1024, 1)
    return {"rss_mb": fields.get("VmRSS", 0.0), "peak_rss_mb": fields.get("VmHWM", 0.0)}


def calls(kind: str, asked: list[tuple[str, str]], scoped: bool = True):
    """Calls of gold questions; `scoped`: each sends its kb, as the widget of its company does
    (unscoped, every kb is searched, as the console's search without a kb filter)."""
    def make(worker: int, sent: int) -> Call:
        question, kb = asked[(worker * 37 + sent) % len(asked)]
        scope = {"kb": kb} if scoped else {}
        if kind == "ask":
            return Call("ask", "POST", "/api/ask", json={"question": question, **scope})
        return Call("search", "GET", "/api/search", params={"q": question, "k": 5, **scope})

    return make


def run_case(base_url: str, kind: str, asked: list[tuple[str, str]], clients: int, seconds: float, per_client: int | None, scoped: bool = True) -> dict:
    result = run_load(base_url, calls(kind, asked, scoped), clients=clients, seconds=seconds, per_client=per_client)
    summary = result.summary()
    errors = result.transport_errors + sum(n for status, n in result.statuses.items() if status != 200)
    return {"kind": kind, "scope": "its kb" if scoped else "every kb", "clients": clients, "requests": summary["requests"], "errors": errors,
            "statuses": summary["statuses"], "transport_errors": result.transport_errors,  # what an error was
            "throughput_rps": summary["throughput_rps"], **summary["latency_ms"]}


def load_sizes(quick: bool) -> tuple[int, float]:
    """Requests of the one-client cases, seconds of the concurrent ones."""
    return (15, 2.0) if quick else (200, 10.0)


def bench_http(settings: Settings, asked: list[tuple[str, str]], quick: bool, overrides: dict[str, str] | None = None) -> dict:
    single, seconds = load_sizes(quick)
    with running_server(settings, overrides) as (base_url, pid):
        idle = memory_mb(pid)
        run_case(base_url, "ask", asked, 4, 30.0, 5)  # warm-up: first requests allocate
        cases = [run_case(base_url, kind, asked, 1, 120.0, single, scoped) for scoped in (True, False) for kind in ("ask", "search")]
        cases += [run_case(base_url, kind, asked, clients, seconds, None) for kind in ("ask", "search") for clients in (8, 16, 32)]
        memory = memory_mb(pid)
    return {"cases": cases, "server_memory": {"idle_rss_mb": idle["rss_mb"], **memory}}


def cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def case_on_workers(base_url: str, pids: list[int], kind: str, asked: list[tuple[str, str]], clients: int, seconds: float) -> dict:
    """A concurrent case, with each worker's share of the CPU the workers spent on it: how evenly
    the kernel spread the clients' connections (opened at once and kept) over the workers."""
    before = [cpu_seconds(pid) for pid in pids]
    case = run_case(base_url, kind, asked, clients, seconds, None)
    spent = [cpu_seconds(pid) - b for pid, b in zip(pids, before)]
    return {**case, "worker_cpu_share": [round(s / (sum(spent) or 1.0), 2) for s in spent]}


def bench_http_workers(settings: Settings, asked: list[tuple[str, str]], quick: bool, workers: int = 2) -> dict:
    """`kefu serve --workers N`'s way of using the cores: the concurrent cases again, and each worker's memory."""
    _, seconds = load_sizes(quick)
    with running_server(settings, workers=workers) as (base_url, _):
        pids = worker_pids(base_url, workers)
        run_case(base_url, "ask", asked, 4 * workers, 30.0, 5)  # warm-up, every worker
        cases = [case_on_workers(base_url, pids, kind, asked, clients, seconds) for kind in ("ask", "search") for clients in (16, 32)]
        memory = [memory_mb(pid) for pid in pids]
    return {"workers": workers, "cases": cases, "worker_memory": memory}


def bench_peer_http(settings: Settings, asked: list[tuple[str, str]], quick: bool) -> dict:
    """The naive peer's /api/search over HTTP, driven as kefu's is: in the question's kb with one
    client and eight, and over every kb with one."""
    single, seconds = load_sizes(quick)
    with running_server(settings, app=PEER_APP) as (base_url, pid):
        run_case(base_url, "search", asked, 4, 30.0, 5)  # warm-up
        cases = [run_case(base_url, "search", asked, 1, 120.0, single), run_case(base_url, "search", asked, 8, seconds, None),
                 run_case(base_url, "search", asked, 1, 120.0, single, scoped=False)]
        memory = memory_mb(pid)
    return {"cases": cases, "server_memory": memory}


def http_ratio(kefu: dict, peer: dict, clients: int, scope: str = "its kb") -> dict:
    """How many times slower (p50, p95) and less busy (req/s) the peer's /api/search is than kefu's."""
    def case(cases: list[dict]) -> dict:
        return next(c for c in cases if c["kind"] == "search" and c["clients"] == clients and c["scope"] == scope)

    ours, theirs = case(kefu["cases"]), case(peer["cases"])
    return {"clients": clients, "scope": scope, "p50": round(theirs["p50"] / ours["p50"], 2), "p95": round(theirs["p95"] / ours["p95"], 2),
            "throughput": round(ours["throughput_rps"] / theirs["throughput_rps"], 2)}
