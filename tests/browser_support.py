"""What the browser tests share: Playwright's page helpers (a page that fails on any uncaught
script error and leaves a screenshot when its test fails) and the steps every page test takes
(log in, open the widget, ask it, fill the handoff form). The `browser` and `page` fixtures are
conftest's; this module skips the tests that import it where Playwright is not installed."""

import re

import pytest

sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed: pip install -e '.[dev]'")
expect = sync_api.expect
WAIT_MS = 60_000  # generous: the model answers on two shared cores


def launch_browser(playwright):
    from web_support import CHROMIUM_ARGS, ensure_chromium

    return playwright.chromium.launch(executable_path=str(ensure_chromium()), headless=True, args=CHROMIUM_ARGS)


def open_page(browser, request, tmp_path, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.dialogs = dialogs
    page.script_errors = []
    page.on("pageerror", lambda error: page.script_errors.append(str(error)))
    request.addfinalizer(lambda: finish_page(request, context, page, tmp_path))
    return page


def finish_page(request, context, page, tmp_path) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        shot = tmp_path / f"{request.node.name}.png"
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot of the failing page: {shot}")
    context.close()
    assert page.script_errors == [], "uncaught script errors on the page"


def open_widget(page, server, kb: str | None = None):
    """The chat panel of the demo page (of `kb`'s company, by default the dairy's), opened."""
    page.goto(server.url + "/demo" + (f"?kb={kb}" if kb else ""))
    page.get_by_role("button", name="打开在线客服").click()
    panel = page.get_by_role("dialog", name="在线客服")
    expect(panel).to_be_visible()
    return panel


def ask_widget(panel, question):
    box = panel.get_by_role("textbox", name="输入您的问题")
    box.fill(question)
    box.press("Enter")
    expect(panel.locator(".msg.user").last).to_have_text(question)
    expect(panel.locator(".typing")).to_have_count(0)  # the reply has arrived
    expect(panel.locator(".msg.error")).to_have_count(0)


def fill_handoff_form(panel, name, phone):
    panel.get_by_role("button", name="转人工客服").click()
    form = panel.get_by_role("form", name="留下联系方式")
    expect(form).to_be_visible()
    form.get_by_label("姓名").fill(name)
    form.get_by_label("联系电话").fill(phone)
    return form


def ticket_number(panel) -> str:
    note = panel.locator(".msg.note").filter(has_text="工单号")
    expect(note).to_contain_text("前与您联系")
    return re.search(r"T\d{8}-[0-9A-F]{6}", note.inner_text()).group(0)


def log_in(page, url, token, name):
    page.goto(url)
    page.get_by_label(re.compile("令牌")).fill(token)
    page.get_by_label(re.compile("姓名")).fill(name)
    page.get_by_role("button", name="登录").click()
