"""kill -9 during `kefu index` at several points: the current version still loads, the next build completes."""

import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

from bot.retrieve.index import load_current
from conftest import KB_DIR, REPO, make_settings
from indexer import versions
from indexer.build import build_index
from indexer.settings import index_root


def start_build(settings, log_path) -> subprocess.Popen:
    env = {**os.environ, "KEFU_DATA_DIR": str(settings.data_dir), "KEFU_KB_DIR": str(settings.kb_dir)}
    with log_path.open("w") as log:
        return subprocess.Popen([sys.executable, "-m", "bot.cli", "index"], cwd=REPO, env=env, stdout=log, stderr=log)


def kill_when(process: subprocess.Popen, condition, timeout: float = 240) -> bool:
    """SIGKILL the build as soon as `condition()` holds; False if it finished first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        if process.poll() is not None:
            return False
        time.sleep(0.001)
    process.kill()
    raise AssertionError("the build neither reached the kill point nor finished")


def building_dirs(settings):
    return list(versions.versions_dir(index_root(settings)).glob(versions.BUILDING_PREFIX + "*"))


@pytest.fixture
def settings(tmp_path):
    kb = tmp_path / "kb"
    shutil.copytree(KB_DIR, kb)
    return make_settings(tmp_path, kb_dir=kb)


def test_killed_builds_never_damage_the_current_version(settings, encoder, tmp_path):
    first = build_index(settings, encoder=encoder)
    # Change every chunk so the killed builds have real embedding work to be caught in.
    for path in settings.kb_dir.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("。", "。 "), encoding="utf-8")
    (settings.kb_dir / "extra.md").write_text("# 新增\n\n" + "新增的说明文字。" * 30 + "\n", encoding="utf-8")
    log = tmp_path / "build.log"
    started = time.monotonic()
    points = {
        "while loading the model": lambda: time.monotonic() - started > 2,
        "while embedding": lambda: "Batches" in log.read_text(errors="ignore"),
        "while writing the new version": lambda: bool(building_dirs(settings)),
    }
    for name, condition in points.items():
        started = time.monotonic()
        process = start_build(settings, log)
        assert kill_when(process, condition), f"build finished before the kill point: {name}"
        assert versions.current_version(index_root(settings)) == first.version, name
        assert load_current(settings).version == first.version, name
    after = build_index(settings, encoder=encoder)
    assert load_current(settings).version == after.version != first.version
    assert after.docs == first.docs + 1 and not building_dirs(settings)
