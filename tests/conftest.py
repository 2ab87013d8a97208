"""Shared fixtures: the real model and one real index of every kb in kb/, each built once per session.

Every test's settings share one embedding cache for the session, so a test that builds its own
index from a copy of kb/ embeds only the texts it changed (the cache is keyed by text and kb);
every process of the run shares one ONNX export of the query model (shared_onnx_dir).
"""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from kefu.settings import Settings, load_settings

REPO = Path(__file__).resolve().parent.parent
KB_DIR = REPO / "kb"
MANUALS_DIR = REPO.parent / "shared" / "manuals"
SHARED_CACHE = Path(tempfile.mkdtemp(prefix="kefu-test-cache-"))
# A Markdown manual whose 400 bytes of front matter expand its title to 9^8 copies of "lol" through
# YAML aliases (the probe's 367-byte one made a 72 MB upload reply); test_load and test_bad_input.
ALIAS_BOMB = "---\n" + "\n".join(
    ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    + [f"a{n}: &a{n} [" + ",".join([f"*a{n - 1}"] * 9) + "]" for n in range(1, 8)]
    + ["title: *a7"]
) + "\n---\n# 冷饮手册\n\n## 第一条\n\n冰淇淋必须冷冻保存。\n"


def make_settings(tmp: Path, kb_dir: Path = KB_DIR, **overrides) -> Settings:
    return load_settings(**{"data_dir": tmp / "var", "kb_dir": kb_dir, "cache_dir": SHARED_CACHE, **overrides})


SMALL = "small"  # a test kb of two short manuals: the lighting and the appliance makers'
SMALL_DOCS = ("003-顾客服务手册.md", "004-如何做售后服务的典范.md")


def make_small_kb(root: Path) -> Path:
    """A kb root holding one knowledge base, SMALL, with two short real manuals; returns its folder."""
    folder = root / SMALL
    folder.mkdir(parents=True)
    (folder / "kb.yaml").write_text("name: 测试知识库\norganization: 测试公司\ngreeting: 您好,请问有什么可以帮您?\n", encoding="utf-8")
    for source in (KB_DIR / "lighting" / SMALL_DOCS[0], KB_DIR / "appliance" / SMALL_DOCS[1]):
        shutil.copy(source, folder / source.name)
    return folder


TINY = "tiny"
# Four rules of a made-up shop, four ways of asking for each: the kb `kefu tune`'s tests tune on
# (test_tune, test_tune_parts).
TINY_MANUAL = """---
title: 小店服务手册
---
# 小店服务手册

## 一、退货

商品签收后七天内可以无理由退货,退货运费由顾客承担。

> 问法：买了东西不想要了能退吗
> 问法：几天内可以退货
> 问法：退货运费谁出
> 问法：无理由退货有时间限制吗

## 二、营业时间

门店每天上午九点开门,晚上九点关门,节假日照常营业。

> 问法：你们几点开门
> 问法：晚上几点关门
> 问法：节假日营业吗
> 问法：周末开不开门

## 三、会员积分

每消费一元积一分,积分满一百分可抵现金一元。

> 问法：积分怎么算
> 问法：积分能抵钱不
> 问法：一百积分换多少钱
> 问法：消费一块钱给几分

## 四、发票

购物后凭小票在服务台开具发票,当月有效。

> 问法：怎么开发票
> 问法：发票在哪里开
> 问法：小票丢了能开发票吗
> 问法：发票过期了还能补吗
"""


def make_tiny_kb(root: Path, kb: str = TINY, manual: str = TINY_MANUAL) -> Path:
    """A kb root holding kb `kb` with one manual (by default the tiny shop's); returns its folder."""
    folder = root / kb
    folder.mkdir(parents=True)
    (folder / "kb.yaml").write_text("name: 小店\norganization: 小店公司\ngreeting: 您好\n", encoding="utf-8")
    (folder / "manual.md").write_text(manual, encoding="utf-8")
    return folder


def build_every_kb(settings: Settings, encoder, **options) -> dict:
    """Each knowledge base of settings.kb_dir built (as `kefu index` does); results by kb."""
    from indexer.build import build_index
    from kefu.kbs import list_kbs

    return {kb.id: build_index(settings, kb.id, encoder=encoder, **options) for kb in list_kbs(settings)}


def run_kefu(args: list[str], settings: Settings, env: dict | None = None, **options) -> subprocess.CompletedProcess:
    """The real `kefu` command in a subprocess, on the settings' folders (and the shared cache)."""
    variables = {"KEFU_DATA_DIR": str(settings.data_dir), "KEFU_KB_DIR": str(settings.kb_dir), "KEFU_CACHE_DIR": str(SHARED_CACHE), **(env or {})}
    options = {"capture_output": True, "text": True, "timeout": 600, **options}
    return subprocess.run([sys.executable, "-m", "kefu.cli", *args], cwd=REPO, env={**os.environ, **variables}, **options)


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
    """Settings whose data dir holds a real index of every kb of the repository's kb/."""
    settings = make_settings(tmp_path_factory.mktemp("built"))
    build_every_kb(settings, encoder)
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


def store_url(request, tmp_path_factory) -> str:
    """The store a test parametrised by backend ("sqlite" or "postgresql") runs on: a fresh SQLite
    file, or the session's PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('store') / 'kefu.db'}"
    return request.getfixturevalue("postgres_url")


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium through Playwright, one for the whole run (the browser tests)."""
    from browser_support import launch_browser, sync_api

    with sync_api.sync_playwright() as playwright:
        browser = launch_browser(playwright)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request, tmp_path):
    """A new browser page at a desktop size; a screenshot is saved when its test fails."""
    from browser_support import open_page

    return open_page(browser, request, tmp_path, viewport={"width": 1280, "height": 860})


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report on the test item (`item.rep_call`), so a fixture can tell that its
    test failed (the browser tests save a screenshot then)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def pytest_collection_modifyitems(items):
    """The `model` mark on every test that loads the embedding model: through the session's
    `encoder` fixture (directly or through one built on it), or in a kefu process it starts."""
    for item in items:
        if "encoder" in item.fixturenames or hasattr(item.module, "run_kefu"):
            item.add_marker(pytest.mark.model)
