"""Shared fixtures: the real model and one real index over kb/, each built once per session."""

import shutil
from pathlib import Path

import pytest

from kefu.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
KB_DIR = REPO / "kb"
MANUALS_DIR = REPO.parent / "shared" / "manuals"
# A Markdown manual whose 400 bytes of front matter expand its title to 9^8 copies of "lol" through
# YAML aliases (the probe's 367-byte one made a 72 MB upload reply); test_load and test_bad_input.
ALIAS_BOMB = "---\n" + "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 8)]
    + ["title: *a7"]
) + "\n---\n# 冷饮手册\n\n## 第一条\n\n冰淇淋必须冷冻保存。\n"


def make_settings(tmp: Path, kb_dir: Path = KB_DIR, **overrides) -> Settings:
    return load_settings(data_dir=tmp / "var", kb_dir=kb_dir, **overrides)


@pytest.fixture(scope="session")
def manuals_dir() -> Path:
    if not MANUALS_DIR.is_dir():
        pytest.skip(f"the raw manuals are not at {MANUALS_DIR}")
    return MANUALS_DIR


@pytest.fixture(scope="session")
def encoder(tmp_path_factory):
    from kefu.model import Encoder

    return Encoder(make_settings(tmp_path_factory.mktemp("model")))


@pytest.fixture(scope="session")
def queries(encoder, tmp_path_factory):
    """The bot's query path (int8, cached, micro-batched) on the shared model."""
    from bot.retrieve.query_encoder import QueryEncoder

    return QueryEncoder(encoder, make_settings(tmp_path_factory.mktemp("queries")))


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory, encoder) -> Settings:
    """Settings whose data dir holds a real index of the repository's kb/."""
    from indexer.build import build_index

    settings = make_settings(tmp_path_factory.mktemp("built"))
    build_index(settings, encoder=encoder)
    return settings


@pytest.fixture(scope="session")
def searcher(built_settings, encoder):
    from bot.assemble import open_searcher

    return open_searcher(built_settings, encoder=encoder)


@pytest.fixture
def kb_copy(tmp_path) -> Path:
    """A private copy of kb/ that a test may edit."""
    target = tmp_path / "kb"
    shutil.copytree(KB_DIR, target)
    return target


@pytest.fixture(scope="session")
def postgres_url():
    """A real PostgreSQL on 127.0.0.1 (installed and started by the test run); skips, saying
    why, only where no server can be had."""
    from contextlib import ExitStack

    from postgres import PostgresUnavailable, postgres_server

    with ExitStack() as stack:
        try:
            url = stack.enter_context(postgres_server())
        except PostgresUnavailable as exc:
            pytest.skip(f"PostgreSQL store tests skipped: {exc}")
        yield url


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test item (`item.rep_call`), so a fixture can tell that its
    test failed (the browser tests save a screenshot then)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
