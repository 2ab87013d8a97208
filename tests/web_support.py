"""What the browser and server tests need: Debian's chromium (installed with apt-get when missing),
the real app served by uvicorn on a free loopback port, a real `kefu serve` process, and a data
dir copied from the session's index."""

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
import uvicorn

from bench.loadgen import free_port

from conftest import KB_DIR, REPO, make_settings

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
APT_TIMEOUT = 900
AGENT_TOKEN = "agent-" + "a1" * 16
ADMIN_TOKEN = "admin-" + "b2" * 16


def ensure_chromium() -> Path:
    """Debian's chromium; as root with apt-get it is installed when missing, else the test skips."""
    if CHROMIUM.exists():
        return CHROMIUM
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip(f"{CHROMIUM} is missing and cannot be installed here (needs root and apt-get): apt-get install chromium")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # A CJK font too, so a failure screenshot shows the Chinese UI rather than empty boxes.
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "chromium", "fonts-wqy-microhei"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=APT_TIMEOUT)
        if done.returncode != 0:
            pytest.skip(f"`{' '.join(command)}` failed, so {CHROMIUM} is missing: {done.stderr.strip()[-500:]}")
    if not CHROMIUM.exists():
        pytest.skip(f"apt-get installed chromium but {CHROMIUM} is still missing")
    return CHROMIUM


def copy_data_dir(source: Path, target: Path) -> None:
    """The built index and embedding cache, without the source's database or tokens."""
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("kefu.db*", "tokens.json", ".build.lock"))


def server_settings(built_settings, tmp: Path, kb_dir: Path | None = None):
    copy_data_dir(built_settings.data_dir, tmp / "var")
    return make_settings(tmp, kb_dir=kb_dir or built_settings.kb_dir)


class LiveServer:
    """The real app under uvicorn in a background thread, on a port the OS picked."""

    def __init__(self, app, **options):
        """`options`: more uvicorn.Config arguments (those `kefu serve` passes, say)."""
        self.app = app
        self.socket = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.socket.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.socket.getsockname()[1]}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on", **options))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.socket]}, name="kefu-live-server", daemon=True)

    def start(self, timeout: float = 120) -> "LiveServer":
        self.thread.start()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.thread.is_alive():
                raise RuntimeError("the server thread stopped during start-up")
            try:
                if httpx.get(self.url + "/readyz", timeout=2).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"the server at {self.url} did not become ready within {timeout} s")

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.socket.close()

    @property
    def tokens(self):
        return self.app.state.tokens


class StaticSite:
    """Another web site (another origin) serving a folder, for embedding the widget cross-origin."""

    def __init__(self, folder: Path):
        handler = functools.partial(QuietHandler, directory=str(folder))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="kefu-static-site", daemon=True)

    def __enter__(self) -> "StaticSite":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args) -> None:
        pass


def start_server(data_dir, db_path, log_path, options: tuple[str, ...] = (), **env: str) -> tuple[subprocess.Popen, str]:
    """A real `kefu serve` on a free loopback port (`options`: more of its options, `--workers 2`;
    `env`: more environment variables, KEFU_* settings among them); returns once /readyz says ready."""
    port = free_port()
    env = {
        **os.environ, "PYTHONPATH": str(REPO), "KEFU_DATA_DIR": str(data_dir), "KEFU_KB_DIR": str(KB_DIR),
        "KEFU_DATABASE_URL": f"sqlite:///{db_path}", "KEFU_AGENT_TOKEN": AGENT_TOKEN, "KEFU_ADMIN_TOKEN": ADMIN_TOKEN, **env,
    }
    log = log_path.open("ab")
    process = subprocess.Popen([sys.executable, "-m", "kefu.cli", "serve", "--port", str(port), *options], cwd=REPO, env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        assert process.poll() is None, log_path.read_text(errors="replace")
        try:
            if httpx.get(base + "/readyz", timeout=2).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise AssertionError("kefu serve did not become ready:\n" + log_path.read_text(errors="replace"))
