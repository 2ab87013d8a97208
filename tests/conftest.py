"""Shared fixtures: the real model and one real index over kb/, each built once per session."""

import os
import shutil
from pathlib import Path

import pytest

from kefu.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
KB_DIR = REPO / "kb"
MANUALS_DIR = REPO.parent / "shared" / "manuals"


def make_settings(tmp: Path, kb_dir: Path = KB_DIR, **overrides) -> Settings:
    return load_settings(data_dir=tmp / "var", kb_dir=kb_dir, **overrides)


@pytest.fixture(scope="session")
def manuals_dir() -> Path:
    if not MANUALS_DIR.is_dir():
        pytest.skip(f"the raw manuals are not at {MANUALS_DIR}")
    return MANUALS_DIR


@pytest.fixture(scope="session", autouse=True)
def shared_onnx_dir(tmp_path_factory):
    """One ONNX export of the model for the whole run, the processes the tests start included, as a
    deployment keeps one: every test's fresh data dir would otherwise export it again (~5 s each).
    The export's own tests pass an onnx_dir of their own."""
    os.environ["KEFU_ONNX_DIR"] = str(tmp_path_factory.mktemp("onnx"))
    yield
    os.environ.pop("KEFU_ONNX_DIR", None)


@pytest.fixture(scope="session")
def encoder(tmp_path_factory):
    from kefu.model import Encoder

    return Encoder(make_settings(tmp_path_factory.mktemp("model")))


@pytest.fixture(scope="session")
def queries(encoder, tmp_path_factory):
    """The bot's query path (ONNX int8, cached, micro-batched) on the shared model."""
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
