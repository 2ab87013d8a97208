"""A real `kefu serve --workers 2` on loopback: every worker follows the index version another
process makes current, and one build or rollback of a kb runs at a time across the processes.
Every wait is bounded; nothing is timed."""

import os
import subprocess
import sys
import time

import httpx
import pytest

from indexer.build import build_index, build_lock
from kefu.settings import index_root

from conftest import SHARED_CACHE, SMALL, make_settings, make_small_kb
from web_support import ADMIN_TOKEN, start_server

WORKERS = 2
WAIT_SECONDS = 180  # a bound for slow shared cores, not a speed requirement
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture(scope="module")
def served(tmp_path_factory, encoder):
    """(settings, base URL) of two workers serving the small kb from one data dir."""
    root = tmp_path_factory.mktemp("workers")
    make_small_kb(root / "kb")
    settings = make_settings(root, kb_dir=root / "kb", quality_gate=False)
    build_index(settings, SMALL, encoder=encoder)
    env = {"KEFU_KB_DIR": str(settings.kb_dir), "KEFU_CACHE_DIR": str(SHARED_CACHE), "KEFU_QUALITY_GATE": "false"}
    process, base = start_server(settings.data_dir, root / "kefu.db", root / "serve.log", ("--workers", str(WORKERS)), **env)
    yield settings, base
    process.terminate()
    process.wait(timeout=60)


def versions_by_worker(base: str, until, what: str) -> dict[int, str]:
    """The small kb's version each worker serves (/readyz on a new connection each time, so that
    every worker gets asked), as soon as `until(seen)` holds; fails when it never does."""
    seen: dict[int, str] = {}
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        ready = httpx.get(base + "/readyz", timeout=30).json()
        seen[ready["pid"]] = ready["index_versions"][SMALL]
        if len(seen) >= WORKERS and until(seen):
            return seen
        time.sleep(0.1)
    pytest.fail(f"{what}: after {WAIT_SECONDS} s the workers serve {seen}")


def test_every_worker_follows_a_version_another_process_made_current(served, encoder):
    settings, base = served
    before = versions_by_worker(base, lambda seen: True, "both workers answer")
    assert len(set(before.values())) == 1
    new = build_index(settings, SMALL, encoder=encoder).version  # as `kefu index` would, beside the server
    after = versions_by_worker(base, lambda seen: set(seen.values()) == {new}, f"every worker serves {new}")
    assert set(after) == set(before)  # the same two workers, not restarted ones


def test_one_build_or_rollback_of_a_kb_at_a_time_across_processes(served, encoder):
    settings, base = served
    build_index(settings, SMALL, encoder=encoder)  # an older version to roll back to
    with build_lock(index_root(settings, SMALL)):  # another process builds the kb (`kefu index`, another worker)
        for _ in range(3 * WORKERS):  # new connections: each worker is asked
            with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as http:
                reindex = http.post(f"/api/admin/kbs/{SMALL}/reindex")
                rollback = http.post(f"/api/admin/kbs/{SMALL}/rollback")
            assert (reindex.status_code, rollback.status_code) == (409, 409), (reindex.text, rollback.text)
            assert reindex.json()["error"]["code"] == "conflict"
    with httpx.Client(base_url=base, headers=ADMIN, timeout=30) as http:
        assert http.post(f"/api/admin/kbs/{SMALL}/reindex").status_code == 202  # the lock is free again
    done = progress_until_done(base)
    versions_by_worker(base, lambda seen: set(seen.values()) == {done["version"]}, "every worker serves the re-index")


def progress_until_done(base: str) -> dict:
    """The re-index's status as the editor page polls it, on new connections: whichever worker
    answers knows it (the one not building said "idle", and the page stopped following)."""
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline:
        status = httpx.get(f"{base}/api/admin/kbs/{SMALL}/reindex", headers=ADMIN, timeout=30).json()
        assert status["state"] in ("running", "done"), status
        if status["state"] == "done":
            return status
        time.sleep(0.1)
    pytest.fail(f"the re-index did not end within {WAIT_SECONDS} s: {status}")


def listening_sockets(port: int) -> set[str]:
    """Inodes of the sockets listening on 127.0.0.1:`port` (/proc/net/tcp, state 0A)."""
    rows = [line.split() for line in open("/proc/net/tcp").read().splitlines()[1:]]
    return {row[9] for row in rows if row[1] == f"0100007F:{port:04X}" and row[3] == "0A"}


def test_each_worker_listens_on_a_socket_of_its_own(served):
    """uvicorn's workers shared one socket, and a burst of kept-alive connections could all fall
    to one of them; each worker's own SO_REUSEPORT socket lets the kernel spread them."""
    _, base = served
    port = int(base.rsplit(":", 1)[1])
    assert len(listening_sockets(port)) == WORKERS
    clients = [httpx.Client(base_url=base, timeout=30) for _ in range(16)]
    try:
        pids = {client.get("/readyz").json()["pid"] for client in clients}  # 16 connections, kept open
    finally:
        for client in clients:
            client.close()
    assert len(pids) == WORKERS  # all 16 on one worker: 2 in 65,536 for the kernel's hash


def test_a_second_server_on_a_taken_port_is_refused(served, tmp_path):
    """SO_REUSEPORT lets any process of the same user join a port: the second server must not."""
    settings, base = served
    port = base.rsplit(":", 1)[1]
    second = subprocess.run([sys.executable, "-m", "kefu.cli", "serve", "--port", port, "--workers", str(WORKERS)],
                            env={**os.environ, "KEFU_DATA_DIR": str(settings.data_dir), "KEFU_KB_DIR": str(settings.kb_dir)},
                            capture_output=True, text=True, timeout=WAIT_SECONDS)
    assert second.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in second.stderr
    assert len(listening_sockets(int(port))) == WORKERS
