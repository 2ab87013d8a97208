"""kill -9 during `kefu index` at several points: the current version still loads, the next build completes."""

import os
import signal
import subprocess
import sys
import time

import pytest

from bot.retrieve.index import load_current
from indexer import versions
from indexer.build import build_index
from kefu.settings import index_root

from conftest import REPO, SHARED_CACHE, SMALL, make_settings, make_small_kb


def start_build(settings, log_path) -> subprocess.Popen:
    env = {**os.environ, "KEFU_DATA_DIR": str(settings.data_dir), "KEFU_KB_DIR": str(settings.kb_dir), "KEFU_CACHE_DIR": str(SHARED_CACHE)}
    with log_path.open("w") as log:
        return subprocess.Popen([sys.executable, "-m", "kefu.cli", "index"], cwd=REPO, env=env, stdout=log, stderr=log)


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
    return list(versions.versions_dir(index_root(settings, SMALL)).glob(versions.BUILDING_PREFIX + "*"))


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path, kb_dir=make_small_kb(tmp_path / "kb").parent)


def test_killed_builds_never_damage_the_current_version(settings, encoder, tmp_path):
    first = build_index(settings, SMALL, encoder=encoder)
    # Change every sentence so the killed builds have real embedding work to be caught in.
    folder = settings.kb_dir / SMALL
    for path in folder.glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("。", "。 "), encoding="utf-8")
    (folder / "extra.md").write_text("# 新增\n\n" + "新增的说明文字。" * 30 + "\n", encoding="utf-8")
    log = tmp_path / "build.log"
    started = time.monotonic()
    points = {
        "while loading the model": lambda: time.monotonic() - started > 2,
        "while embedding": lambda: "embed:" in log.read_text(errors="ignore"),
        "while writing the new version": lambda: bool(building_dirs(settings)),
    }
    for name, condition in points.items():
        started = time.monotonic()
        process = start_build(settings, log)
        assert kill_when(process, condition), f"build finished before the kill point: {name}"
        assert versions.current_version(index_root(settings, SMALL)) == first.version, name
        assert load_current(settings, SMALL).version == first.version, name
    after = build_index(settings, SMALL, encoder=encoder)
    assert load_current(settings, SMALL).version == after.version != first.version
    assert after.docs == first.docs + 1 and not building_dirs(settings)


# The narrow windows a poll cannot hit: the build process kills itself (SIGKILL, no cleanup)
# exactly when it reaches a step, then the state on disk is checked.
KILL_AT = """
import os, signal, sys
from indexer import build, versions
from kefu.settings import load_settings
step = sys.argv[1]
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
target = versions if hasattr(versions, step) else build
setattr(target, step, die)
build.build_index(load_settings(), "small")
"""


def test_a_build_killed_at_each_publishing_step_leaves_a_loadable_index(tmp_path, encoder):
    kb = make_small_kb(tmp_path / "kb")
    settings = make_settings(tmp_path, kb_dir=kb.parent, keep_versions=2)
    first = build_index(settings, SMALL, encoder=encoder).version
    (kb / "extra.md").write_text("# 新增\n\n## 第一条\n\n新增的说明文字。\n", encoding="utf-8")
    env = {**os.environ, "KEFU_DATA_DIR": str(settings.data_dir), "KEFU_KB_DIR": str(kb.parent), "KEFU_KEEP_VERSIONS": "2", "KEFU_CACHE_DIR": str(SHARED_CACHE)}
    steps = [
        ("publish", False),  # every file written and flushed, not yet renamed into place
        ("set_current", False),  # renamed into versions/, CURRENT not yet replaced
        ("prune_versions", True),  # CURRENT replaced, old versions not yet pruned
    ]
    for step, new_is_current in steps:
        killed = subprocess.run([sys.executable, "-c", KILL_AT, step], cwd=REPO, env=env, capture_output=True, timeout=300)
        assert killed.returncode == -signal.SIGKILL, killed.stderr.decode(errors="replace")[-2000:]
        current = load_current(settings, SMALL)
        assert (current.version != first) == new_is_current, step
        assert ("extra" in {c.doc for c in current.chunks}) == new_is_current, step
    after = build_index(settings, SMALL, encoder=encoder)
    assert load_current(settings, SMALL).version == after.version and "extra" in {c.doc for c in load_current(settings, SMALL).chunks}
    assert not building_dirs(settings) and len(versions.list_versions(index_root(settings, SMALL))) <= 2
