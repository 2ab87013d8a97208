"""A customer's and an agent's walk through the pages in a real browser, on the real server,
index and model: what happens after a handoff, small talk, FAQ answers, unhelpful answers, the
full-screen widget's keyboard, and the console's transcript, toasts and empty searches."""

import shutil
from datetime import date

import httpx
import pytest

from bot.app import create_app
from indexer.build import build_index
from indexer.faq import append_faq

from browser_support import ask_widget, expect, fill_handoff_form, log_in, open_page, open_widget, ticket_number
from web_support import LiveServer, server_settings

FAQ_QUESTION = "门店营业时间是几点"
FAQ_ANSWER = "门店每天早上八点至晚上九点营业。"
FAQ_STAMP = "(编辑撰写:刘编辑,2026-12-01)"
NOT_IN_THE_MANUAL = "发票可以开电子的吗"  # the dairy manual does not say: the bot cannot answer
FORM = "留下联系方式"


@pytest.fixture(scope="module")
def server(built_settings, encoder, tmp_path_factory):
    """The demo company (dairy) with one editor-written FAQ entry, stamped as faq.md stamps it."""
    root = tmp_path_factory.mktemp("chat")
    kb_dir = root / "kb"
    shutil.copytree(built_settings.kb_dir, kb_dir)
    append_faq(kb_dir / "dairy", FAQ_QUESTION, FAQ_ANSWER, "刘编辑", date(2026, 12, 1))
    settings = server_settings(built_settings, root, kb_dir=kb_dir)
    build_index(settings, "dairy", encoder=encoder)
    live = LiveServer(create_app(settings, encoder=encoder)).start()
    yield live
    live.stop()


def agent_console(page, server, ticket_id: str):
    """The console logged in, the ticket opened; its detail pane."""
    log_in(page, server.url + "/console", server.tokens.agent, "李客服")
    page.locator("#ticket-list li").filter(has_text=ticket_id).click()
    detail = page.locator("#ticket-detail")
    expect(detail.locator("h3")).to_contain_text(ticket_id)
    return detail


def open_ticket(panel, name: str, phone: str) -> str:
    form = fill_handoff_form(panel, name, phone)
    form.get_by_role("button", name="提交").click()
    return ticket_number(panel)


def test_an_urgent_message_after_the_form_is_escalated_once_and_asks_for_nothing_more(page, server):
    panel = open_widget(page, server)
    ticket = open_ticket(panel, "钱女士", "13800000021")
    ask_widget(panel, "孩子喝了你们的奶拉肚子住院了")
    urgent = panel.locator(".msg.bot").last
    expect(urgent).to_contain_text("加急")
    expect(urgent).to_contain_text(ticket)
    expect(urgent).not_to_contain_text("请留下")  # the ticket has the name and phone; no form comes
    expect(panel.get_by_role("form", name=FORM)).to_have_count(0)
    ask_widget(panel, "电话铃响几声必须接听")
    ask_widget(panel, NOT_IN_THE_MANUAL)
    expect(panel.locator(".msg").filter(has_text="加急")).to_have_count(1)  # every later message added another
    expect(panel.locator(".msg.bot").last).to_contain_text(ticket)
    expect(panel.get_by_role("form", name=FORM)).to_have_count(0)


def test_an_faq_answer_shows_customers_no_editor_stamp_and_agents_keep_it(page, server):
    panel = open_widget(page, server)
    ask_widget(panel, FAQ_QUESTION)
    answer = panel.locator(".msg.bot").last
    expect(answer).to_contain_text(FAQ_ANSWER)
    answer.locator(".chip").first.click()
    expect(answer.locator(".quote").first).to_contain_text(FAQ_ANSWER)
    expect(panel).not_to_contain_text("刘编辑")
    expect(panel).not_to_contain_text("2026-12-01")
    for_agent = httpx.post(server.url + "/api/ask", json={"question": FAQ_QUESTION, "persona": "agent", "kb": "dairy"}).json()
    assert FAQ_STAMP in for_agent["answer"] and FAQ_STAMP in for_agent["citations"][0]["text"]


def test_the_agent_sees_what_the_customer_said_after_the_ticket_was_opened(page, server):
    panel = open_widget(page, server)
    ask_widget(panel, "电话铃响几声必须接听")
    ticket = open_ticket(panel, "孙先生", "13800000022")
    ask_widget(panel, "保质期满的产品能退吗")
    later_reply = panel.locator(".msg.bot").last.inner_text().split("\n")[0]
    detail = agent_console(page, server, ticket)
    transcript = detail.locator(".transcript")
    expect(transcript).to_contain_text("电话铃响几声必须接听")
    expect(transcript.locator(".m-customer").last).to_contain_text("保质期满的产品能退吗")
    expect(transcript.locator(".m-bot").last).to_contain_text(later_reply[:20])


def focus_is_in_the_panel(page) -> bool:
    return page.evaluate("""() => {
        const host = document.querySelector("kefu-widget");
        const inner = host.shadowRoot.activeElement;
        return document.activeElement === host && inner !== null && host.shadowRoot.getElementById("kefu-panel").contains(inner);
    }""")
