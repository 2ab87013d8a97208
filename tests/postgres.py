"""A throw-away PostgreSQL server for the store tests: installed with apt-get when missing,
initialised in a temp dir and started on 127.0.0.1 on a free port, stopped at the end."""

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.loadgen import free_port


class PostgresUnavailable(Exception):
    """Why no server could be started here (the tests skip with this reason)."""


def find_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(candidates[-1]).parent if candidates else None


def install_with_apt() -> None:
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise PostgresUnavailable("PostgreSQL is not installed and apt-get cannot be used here (needs root)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "postgresql"]):
        done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            raise PostgresUnavailable(f"{' '.join(command)} failed: {done.stderr.strip()[-300:]}")


def as_server_user(command: list[str]) -> list[str]:
    # initdb and postgres refuse to run as root; the Debian package creates the postgres user.
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def run(command: list[str]) -> None:
    done = subprocess.run(as_server_user(command), capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise PostgresUnavailable(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()[-300:]}")


@contextmanager
def postgres_server() -> Iterator[str]:
    """Yields a SQLAlchemy URL of an empty database `kefu` on a fresh server."""
    bindir = find_bindir()
    if bindir is None:
        install_with_apt()
        bindir = find_bindir()
    if bindir is None:
        raise PostgresUnavailable("no initdb found after installing PostgreSQL")
    # Not under pytest's tmp dir: its parent is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="kefu-pg-"))
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    try:
        run([str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "kefu", "-E", "UTF8", "--no-sync"])
        options = f"-h 127.0.0.1 -p {port} -k {root} -c fsync=off"
        run([str(bindir / "pg_ctl"), "-D", str(data), "-o", options, "-l", str(root / "server.log"), "-w", "start"])
        try:
            run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "kefu", "kefu"])
            yield f"postgresql://kefu@127.0.0.1:{port}/kefu"
        finally:
            run([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"])
    finally:
        shutil.rmtree(root, ignore_errors=True)
