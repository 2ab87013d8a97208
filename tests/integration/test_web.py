"""The web pages in a real browser (Debian's chromium through Playwright) against the real server,
real index and real model: the widget on /demo, the agent console, the editor page."""

import re

import httpx
import pytest

from bot.app import create_app

from browser_support import ask_widget, expect, fill_handoff_form, log_in, open_page, open_widget, ticket_number
from web_support import LiveServer, StaticSite, server_settings


@pytest.fixture(scope="module")
def server(built_settings, encoder, tmp_path_factory):
    settings = server_settings(built_settings, tmp_path_factory.mktemp("web"))
    live = LiveServer(create_app(settings, encoder=encoder)).start()
    yield live
    live.stop()


def test_widget_answers_with_an_expandable_citation(page, server):
    panel = open_widget(page, server)
    ask_widget(panel, "电话铃响几声必须接听")
    answer = panel.locator(".msg.bot:has(.chip)").last
    expect(answer).to_contain_text("3声")
    chip = answer.locator(".chip").first
    expect(chip).to_have_attribute("aria-expanded", "false")
    chip.click()
    expect(chip).to_have_attribute("aria-expanded", "true")
    quote = answer.locator(".quote").first
    expect(quote).to_be_visible()
    expect(quote).to_contain_text("电话铃响3声内必须接听")
    expect(quote.locator(".path")).to_contain_text("›")  # the heading path


def test_the_demo_widget_greets_with_its_companys_quick_questions_and_answers_from_its_manual(page, server):
    panel = open_widget(page, server)
    greeting = panel.locator(".msg.greeting")
    expect(greeting).to_contain_text("三鹿乳业")
    chips = greeting.locator(".quick button")
    expect(chips.first).to_be_visible()
    first = chips.first.inner_text()
    chips.first.click()
    expect(panel.locator(".msg.user").last).to_have_text(first)
    expect(panel.locator(".typing")).to_have_count(0)
    reply = panel.locator(".msg.bot").last
    expect(reply).not_to_contain_text("顾客服务手册")  # never another company's manual
    expect(reply).not_to_contain_text("客服工作课件")


def test_widget_session_survives_a_reload(page, server):
    panel = open_widget(page, server)
    ask_widget(panel, "电话铃响几声必须接听")
    expect(panel.locator(".chip").first).to_be_visible()
    page.reload()
    panel = page.get_by_role("dialog", name="在线客服")
    expect(panel).to_be_visible()  # it was open, so it opens again
    expect(panel.locator(".msg.user")).to_have_text(["电话铃响几声必须接听"])
    expect(panel.locator(".chip").first).to_be_visible()
    page.keyboard.press("Escape")
    expect(panel).to_be_hidden()
    expect(page.get_by_role("button", name="打开在线客服")).to_be_focused()


def submit_with_the_reply_lost(page, server):
    """(panel, form, ids of the tickets made): the customer asks for a person and submits the
    form; the server opens the ticket, but its reply never reaches the widget."""
    panel = open_widget(page, server)
    form = fill_handoff_form(panel, "孙七", "13812345678")
    made = []

    def lose_reply(route):
        made.append(route.fetch().json()["ticket_id"])
        route.abort("connectionreset")

    page.route("**/api/tickets", lose_reply)
    form.get_by_role("button", name="提交").click()
    expect(panel.get_by_role("alert")).to_contain_text("网络连接失败")
    page.unroute("**/api/tickets")
    return panel, form, made


def test_handoff_form_validates_then_the_ticket_reaches_the_console(page, server):
    panel = open_widget(page, server)
    form = fill_handoff_form(panel, "王小明", "12345")
    form.get_by_role("button", name="提交").click()
    expect(form.get_by_text("请填写有效的手机号")).to_be_visible()
    expect(form.get_by_label("联系电话")).to_have_attribute("aria-invalid", "true")
    form.get_by_label("联系电话").fill("138 1234 5678")
    form.get_by_role("button", name="提交").click()
    ticket_id = ticket_number(panel)

    page.goto(server.url + "/console")
    page.get_by_label("坐席令牌").fill(server.tokens.agent)
    page.get_by_label("坐席姓名").fill("李客服")
    page.get_by_role("button", name="登录").click()
    row = page.locator("#ticket-list li").filter(has_text=ticket_id)
    expect(row).to_be_visible()
    expect(row).to_contain_text("王小明")
    row.click()
    detail = page.locator("#ticket-detail")
    expect(detail).to_contain_text("138 1234 5678")
    expect(detail.locator(".transcript")).to_contain_text("转人工")
    detail.get_by_role("button", name="由我处理").click()
    expect(detail.locator(".facts")).to_contain_text("李客服")
    detail.get_by_label("回复客户").fill("王先生您好,我是李客服,稍后给您回电。")
    detail.get_by_role("button", name="发送回复").click()
    expect(detail.locator(".transcript .m-agent")).to_contain_text("稍后给您回电")
    detail.get_by_label("工单状态").select_option("resolved")
    detail.get_by_role("button", name="更新状态").click()
    expect(row).to_contain_text("已解决")
    page.locator("#status-filter").select_option("open")
    expect(page.locator("#ticket-list li").filter(has_text=ticket_id)).to_have_count(0)

    page.goto(server.url + "/demo")  # back on the company page, the widget shows the agent's reply
    panel = page.get_by_role("dialog", name="在线客服")
    reply = panel.locator(".msg.agent")
    expect(reply).to_contain_text("稍后给您回电")
    expect(reply).to_contain_text("客服人员 李客服")
    expect(panel.locator(".msg.note").last).to_contain_text(f"您的工单 {ticket_id} 已处理完毕")


def test_a_ticket_whose_reply_was_lost_is_sent_again_under_its_key_and_the_agents_replies_still_arrive(page, server):
    panel, _, made = submit_with_the_reply_lost(page, server)
    panel.get_by_role("alert").get_by_role("button", name="重试").click()
    assert ticket_number(panel) == made[0], "a retry of the same details opened a second ticket"

    reply = httpx.post(f"{server.url}/api/tickets/{made[0]}/messages", json={"text": "孙先生您好,已收到。", "author": "周客服"},
                       headers={"Authorization": f"Bearer {server.tokens.agent}"})
    assert reply.status_code == 200
    page.reload()  # the widget reads the ticket with the access key the retry got
    expect(panel.locator(".msg.agent")).to_contain_text("已收到")


def test_details_changed_after_a_lost_reply_are_a_new_ticket_not_a_refused_retry(page, server):
    panel, form, made = submit_with_the_reply_lost(page, server)
    form.get_by_label("联系电话").fill("13912345678")  # the customer corrects the number
    form.get_by_role("button", name="提交").click()
    assert ticket_number(panel) not in made


def test_markup_in_a_question_is_shown_as_text(page, server):
    panel = open_widget(page, server)
    hostile = '牛奶能退吗<img src=x onerror=alert(1)>'
    ask_widget(panel, hostile)
    expect(panel.locator(".msg.user").last).to_have_text(hostile)
    expect(page.locator("kefu-widget img")).to_have_count(0)
    assert page.dialogs == []


def test_unreachable_server_gives_a_retry_message(page, server):
    panel = open_widget(page, server)
    page.route("**/api/ask", lambda route: route.abort("connectionrefused"))
    box = panel.get_by_role("textbox", name="输入您的问题")
    box.fill("电话铃响几声必须接听")
    box.press("Enter")
    error = panel.get_by_role("alert")
    expect(error).to_contain_text("网络连接失败")
    page.unroute("**/api/ask")
    error.get_by_role("button", name="重试").click()
    expect(panel.locator(".chip").first).to_be_visible()
    expect(panel.get_by_role("alert")).to_have_count(0)
    expect(panel.locator(".msg.user")).to_have_count(1)  # the question was not repeated


# Another company's page: a strict CSP (no inline styles) and style rules that would wreck the widget.
HOST_PAGE = """<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src {kefu}; connect-src {kefu}; style-src 'self'">
<link rel="stylesheet" href="hostile.css"></head>
<body><h1>别人家的网站</h1><script src="{kefu}/widget.js" data-kefu-endpoint="{kefu}" defer></script></body></html>"""
HOSTILE_CSS = "* { color: red !important; font-size: 40px !important; } button { display: none !important; }"


def test_widget_works_on_another_site(browser, built_settings, encoder, request, tmp_path):
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    with StaticSite(site_dir) as site:
        settings = server_settings(built_settings, tmp_path / "server").model_copy(update={"cors_origins": [site.url]})
        live = LiveServer(create_app(settings, encoder=encoder)).start()
        request.addfinalizer(live.stop)
        (site_dir / "index.html").write_text(HOST_PAGE.replace("{kefu}", live.url), encoding="utf-8")
        (site_dir / "hostile.css").write_text(HOSTILE_CSS, encoding="utf-8")
        page = open_page(browser, request, tmp_path, viewport={"width": 1280, "height": 860})
        page.goto(site.url + "/index.html")
        launcher = page.get_by_role("button", name="打开在线客服")
        expect(launcher).to_be_visible()  # the host page's CSS does not reach into the widget
        assert launcher.evaluate("b => getComputedStyle(b).fontSize") != "40px"
        launcher.click()
        panel = page.get_by_role("dialog", name="在线客服")
        assert panel.evaluate("p => getComputedStyle(p).position") == "fixed"  # its own styles apply under the CSP
        ask_widget(panel, "电话铃响几声必须接听")
        expect(panel.locator(".msg.bot:has(.chip)").last).to_contain_text("3声")
        panel.get_by_role("button", name="转人工客服").click()
        form = panel.get_by_role("form", name="留下联系方式")
        form.get_by_label("姓名").fill("赵女士")
        form.get_by_label("联系电话").fill("010-62345678")
        form.get_by_role("button", name="提交").click()
        expect(panel.locator(".msg.note").filter(has_text="工单号")).to_be_visible()


def test_widget_fits_a_360_pixel_screen(browser, server, request, tmp_path):
    page = open_page(browser, request, tmp_path, viewport={"width": 360, "height": 640}, is_mobile=True, has_touch=True)
    page.goto(server.url + "/demo")
    page.get_by_role("button", name="打开在线客服").focus()
    page.keyboard.press("Enter")  # keyboard alone opens it, and the question box takes the focus
    panel = page.get_by_role("dialog", name="在线客服")
    expect(panel.get_by_role("textbox", name="输入您的问题")).to_be_focused()
    ask_widget(panel, "电话铃响几声必须接听")
    expect(panel.locator(".chip").first).to_be_visible()
    box = panel.bounding_box()
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= 360 and box["y"] + box["height"] <= 640
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= 360
    for control in ("发送", "转人工客服", "关闭客服窗口"):
        button = panel.get_by_role("button", name=control)
        button_box = button.bounding_box()
        assert button_box["x"] >= 0 and button_box["x"] + button_box["width"] <= 360, control


def test_the_console_pages_through_a_long_queue(page, built_settings, encoder, request, tmp_path):
    """The queue used to stop at 100 tickets with no way to the rest: the console loads more."""
    from bot.api.schemas import TicketCreate

    live = LiveServer(create_app(server_settings(built_settings, tmp_path / "server"), encoder=encoder)).start()
    request.addfinalizer(live.stop)
    for n in range(70):
        live.app.state.bot.records.create_ticket(TicketCreate(name=f"排队{n}", phone=f"138000{n:05d}"), None)
    log_in(page, live.url + "/console", live.tokens.agent, "李客服")
    rows = page.locator("#ticket-list li")
    expect(rows).to_have_count(50)
    expect(page.locator("#queue-status")).to_have_text("显示 50 / 共 70 张工单")
    page.get_by_role("button", name="加载更多").click()
    expect(rows).to_have_count(70)
    expect(page.locator("#queue-status")).to_have_text("显示 70 / 共 70 张工单")
    expect(page.get_by_role("button", name="加载更多")).to_be_hidden()
    names = rows.locator(".who").all_inner_texts()
    assert sorted(names) == sorted(f"排队{n}" for n in range(70))  # each ticket once
    page.get_by_role("button", name="刷新").click()  # back to the first page
    expect(rows).to_have_count(50)


def test_the_api_docs_work_offline(page, server):
    outside, refused = [], []
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1[:/])"), lambda route: (outside.append(route.request.url), route.abort()))
    page.on("console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None)
    page.goto(server.url + "/docs")
    ask = page.locator(".opblock-summary-path", has_text="/api/ask").first
    expect(ask).to_be_visible()
    ask.click()
    expect(page.get_by_role("button", name="Try it out")).to_be_visible()
    assert outside == [] and refused == []
