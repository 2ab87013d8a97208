"""The editor page (/admin) in a real browser (Debian's chromium through Playwright) against the
real server, index and model on a private copy of kb/: uploads checked before they enter the kb,
delete and roll back, associated questions edited in place, the hit test, and the loop from a
missed question to an answer the widget then gives."""

import re

import httpx
import pytest

from bot.app import create_app
from bot.ranking import RERANK_DEPTH

from browser_support import ask_widget, expect, log_in, open_widget
from web_support import LiveServer, server_settings

BUILD_MS = 300_000  # a re-index on two shared cores
UPLOADED_TEXT = "冰淇淋必须在零下十八度冷冻保存,解冻后不得再次冷冻。"
# The customer's question is the passage's associated question: the refitted decision hardly answers
# a customer from a passage without one (冰淇淋解冻后可以再次冷冻吗 scored 0.001 against 0.54).
DATED = f"---\ntitle: 冷饮手册\ndate: 2026-12-01\n---\n# 冷饮手册\n\n## 第一条\n\n{UPLOADED_TEXT}\n\n> 问法：冰淇淋解冻后可以再次冷冻吗\n"
BROKEN = "# 坏手册\n\n## 第一条\n\n> 问法：冰淇淋怎么保存\n\n冰淇淋必须冷冻保存。\n"  # a question right under a heading, line 5
ON_SITE = "必须组织相关人员48小时内到达现场"  # lighting: how fast someone comes for a quality problem
NOT_COMING = "用户来电询问为何还不上门时"  # appliance: what to say when the engineer is late


@pytest.fixture
def editable_server(built_settings, encoder, kb_copy, tmp_path):
    """A server whose kb dir is a private copy: the editor page may change it."""
    live = LiveServer(create_app(server_settings(built_settings, tmp_path / "server", kb_dir=kb_copy), encoder=encoder)).start()
    yield live
    live.stop()


def api(server, method: str, path: str, **options) -> httpx.Response:
    response = httpx.request(method, server.url + path, headers={"Authorization": f"Bearer {server.tokens.admin}"}, timeout=60, **options)
    assert response.is_success, response.text
    return response


def reindex_by_api(server, kb: str) -> str:
    api(server, "POST", f"/api/admin/kbs/{kb}/reindex", params={"force": True})
    status = server.app.state.bot.reindexer.wait(kb, timeout=300)
    assert status["state"] == "done", status
    return status["version"]


def choose_kb(page, kb):
    expect(page.locator("#kb option")).not_to_have_count(0)  # the kbs have been listed
    page.get_by_label("正在编辑的知识库").select_option(kb)
    expect(page.locator("#index-info dd").last).to_have_text(kb)  # the chosen kb's facts have arrived


def open_admin(page, server, kb, tab=None):
    log_in(page, server.url + "/admin", server.tokens.admin, "张编辑")
    choose_kb(page, kb)
    if tab:
        page.get_by_role("tab", name=tab).click()


def reindex(page):
    page.get_by_role("button", name="重建索引", exact=True).click()
    expect_reindexed(page)


def expect_reindexed(page):
    expect(page.locator("#reindex-result")).to_contain_text("完成:新版本", timeout=BUILD_MS)


def upload(page, path):
    page.get_by_label(re.compile("上传手册")).set_input_files(str(path))
    page.get_by_role("button", name="上传", exact=True).click()


def document_row(page, doc):
    return page.locator(f'#documents tbody tr[data-doc="{doc}"]')


def kb_state(folder) -> dict:
    return {path.name: path.read_bytes() for path in folder.iterdir()}


def test_a_manual_with_an_unquoted_date_is_checked_listed_with_its_date_and_indexed(page, editable_server, tmp_path):
    manual = tmp_path / "冷饮.md"
    manual.write_text(DATED, encoding="utf-8")
    open_admin(page, editable_server, "lighting")
    upload(page, manual)
    expect(page.locator("#upload-status")).to_have_text("已上传 冷饮.md(《冷饮手册》,日期 2026-12-01,1 个段落)。点击“重建索引”使其生效。")
    row = document_row(page, "冷饮")
    expect(row).to_contain_text("2026-12-01")
    expect(row).to_contain_text("新文档,待重建索引")
    page.evaluate("""() => {
        window.progressSeen = [];
        new MutationObserver(() => window.progressSeen.push(document.getElementById("progress-label").textContent))
            .observe(document.getElementById("progress-label"), {childList: true, characterData: true, subtree: true});
    }""")
    reindex(page)
    expect(page.locator("#reindex-result")).to_contain_text(re.compile(r"完成:新版本 \d{8}T\d+Z,2 个文档、20 个段落"))
    expect(page.locator("#reindex-result").get_by_role("row").filter(has_text="冷饮")).to_be_visible()
    expect(row).to_contain_text("已生效")
    seen = page.evaluate("window.progressSeen")
    assert seen and all(re.fullmatch(r"第 [1-7]/7 步 .+:\d+ / \d+|准备中…", label) for label in seen), seen

    panel = open_widget(page, editable_server, "lighting")
    ask_widget(panel, "冰淇淋解冻后可以再次冷冻吗")
    expect(panel.locator(".msg.bot").last).to_contain_text("解冻后不得再次冷冻")


def test_a_broken_upload_is_refused_in_chinese_naming_file_and_line_and_the_kb_is_unchanged(page, editable_server, kb_copy, tmp_path):
    broken, good = tmp_path / "坏手册.md", tmp_path / "冷饮.md"
    broken.write_text(BROKEN, encoding="utf-8")
    good.write_text(DATED, encoding="utf-8")
    before = kb_state(kb_copy / "lighting")
    open_admin(page, editable_server, "lighting")
    expect(page.locator("#documents tbody tr")).to_have_count(1)
    upload(page, broken)
    status = page.locator("#upload-status")
    expect(status).to_have_text("上传失败,知识库未改变:坏手册.md 第 5 行: 问法必须写在它所属段落的正文之下,不能紧跟标题")
    expect(status).to_have_class(re.compile("error"))
    expect(page.locator("#documents tbody tr")).to_have_count(1)
    assert kb_state(kb_copy / "lighting") == before

    page.reload()  # the tab keeps its token: logged in again, with no stale message
    expect(page.locator("#index-info dd").last).to_have_text(re.compile("lighting|dairy|appliance|gas|supermarket"))
    expect(status).to_be_empty()
    choose_kb(page, "lighting")
    upload(page, broken)
    expect(status).to_have_class(re.compile("error"))
    upload(page, good)  # the next action clears the last one's failure
    expect(status).to_have_text(re.compile("^已上传 冷饮.md"))
    expect(status).not_to_have_class(re.compile("error"))


def test_a_deleted_document_leaves_with_the_next_version_and_a_rollback_brings_it_back(page, editable_server, kb_copy):
    api(editable_server, "POST", "/api/admin/kbs/lighting/documents", files={"file": ("冷饮.md", DATED.encode("utf-8"))})
    with_it = reindex_by_api(editable_server, "lighting")
    open_admin(page, editable_server, "lighting")
    row = document_row(page, "冷饮")
    expect(row).to_contain_text("已生效")
    row.get_by_role("button", name="删除").click()
    row.get_by_role("button", name="确认删除?再点一次").click()  # the second click confirms
    expect(page.locator("#documents-status")).to_contain_text("已删除 冷饮.md")
    expect(row).to_contain_text("已删除,重建索引后移除")
    assert not (kb_copy / "lighting" / "冷饮.md").exists()
    reindex(page)
    expect(row).to_have_count(0)

    page.get_by_role("tab", name="版本").click()
    version = page.locator(f'#versions tr[data-version="{with_it}"]')
    version.get_by_role("button", name="回滚到此版本").click()
    version.get_by_role("button", name="确认回滚?再点一次").click()
    expect(page.locator("#versions-status")).to_have_text(f"已回滚到版本 {with_it};恢复了文档 冷饮.md。")
    expect(page.locator("#reindex-result")).to_be_empty()  # the build before the rollback is no longer what is served
    expect(page.locator("#index-info dd").first).to_have_text(with_it)
    page.get_by_role("tab", name="文档").click()
    expect(row).to_contain_text("已生效")
    assert (kb_copy / "lighting" / "冷饮.md").read_text(encoding="utf-8") == DATED


def test_an_associated_question_added_in_place_answers_a_customers_paraphrase_in_the_widget(page, editable_server, kb_copy):
    paraphrase = "灯坏了几天能来修"
    before = httpx.post(editable_server.url + "/api/ask", json={"question": paraphrase, "kb": "lighting"}).json()
    assert before["band"] != "answer"
    manual = kb_copy / "lighting" / "003-顾客服务手册.md"
    manual_lines = [line for line in manual.read_text(encoding="utf-8").splitlines() if not line.startswith("> 问法")]

    open_admin(page, editable_server, "lighting", tab="段落与问法")
    page.get_by_label("搜索段落").fill("质量问题多久到现场")
    page.get_by_role("button", name="查找").click()
    expect(page.locator("#passages-status")).to_contain_text("「质量问题多久到现场」的搜索结果")  # not the list shown before
    passage = page.locator("#passages .passage-item").filter(has_text=ON_SITE).first
    expect(passage.get_by_label("问法", exact=True)).not_to_have_count(0)
    passage.get_by_label("新问法").fill("灯坏了几天来修")
    passage.get_by_role("button", name="添加问法").click()
    expect(passage.get_by_label("问法", exact=True).last).to_have_value("灯坏了几天来修")
    passage.get_by_role("button", name="保存问法").click()
    expect(passage.get_by_role("status")).to_contain_text("个问法到文档,正在重建索引")
    expect_reindexed(page)
    expect(page.locator("#reindex-result")).to_contain_text("新计算向量 1 条")  # only the new question was embedded
    text = manual.read_text(encoding="utf-8")
    assert "> 问法：灯坏了几天来修" in text
    assert [line for line in text.splitlines() if not line.startswith("> 问法")] == manual_lines  # the manual's own lines

    panel = open_widget(page, editable_server, "lighting")
    ask_widget(panel, paraphrase)
    answer = panel.locator(".msg.bot").last
    expect(answer).to_contain_text("48小时内到达现场")
    expect(answer.locator(".chip").first).to_be_visible()


def test_the_hit_test_shows_the_answer_the_widget_gives_with_its_passages_and_scores(page, editable_server):
    question = "保质期满的产品能退吗"
    panel = open_widget(page, editable_server, "lighting")
    with page.expect_response("**/api/ask") as asked:
        ask_widget(panel, question)
    widget_answer = asked.value.json()

    open_admin(page, editable_server, "lighting", tab="命中测试")
    page.get_by_label("测试问题").fill(question)
    page.get_by_role("button", name="测试", exact=True).click()
    expect(page.locator(".hit-answer")).to_have_text(widget_answer["answer"])
    expect(page.locator("#hit-result .band")).to_contain_text("直接回答")
    expect(page.locator("#hit-result .band")).to_contain_text(f"置信度 {widget_answer['confidence']:.3f}")
    rows = page.get_by_role("table", name="检索到的段落").locator("tbody tr")
    expect(rows).to_have_count(RERANK_DEPTH)  # every candidate the decision model ranked
    expect(rows.first).to_contain_text(widget_answer["citations"][0]["text"].split("\n")[0])
    expect(page.get_by_text("问题词覆盖")).to_be_visible()


def test_linking_an_unanswered_group_to_a_passage_clears_it_and_the_widget_then_answers(page, editable_server):
    question = "师傅迟到了怎么办"
    panel = open_widget(page, editable_server, "appliance")
    ask_widget(panel, question)
    expect(panel.locator(".msg.bot").last.locator(".chip")).to_have_count(0)  # no cited answer yet

    open_admin(page, editable_server, "appliance", tab="待解决的问题")
    group = page.locator("#unanswered > li").filter(has_text=question)
    expect(group.locator(".count")).to_have_text("1")
    group.get_by_role("button", name="关联到段落").click()
    pick = group.get_by_role("list", name="可关联的段落").locator("li").filter(has_text=NOT_COMING)
    pick.get_by_role("button", name="关联到这一段").click()
    expect(page.locator("#unanswered-status")).to_contain_text("已把 1 个问法关联到")
    expect(page.locator("#unanswered > li").filter(has_text=question)).to_have_count(0)  # gone at once
    expect_reindexed(page)
    page.get_by_role("button", name="刷新").click()
    expect(page.locator("#unanswered-status")).to_contain_text("最近 7 天")  # the page opens on the last 7 days
    expect(page.locator("#unanswered > li").filter(has_text=question)).to_have_count(0)

    page.goto(editable_server.url + "/demo?kb=appliance")  # the widget was left open: it opens again with the conversation
    panel = page.get_by_role("dialog", name="在线客服")
    ask_widget(panel, question)
    answer = panel.locator(".msg.bot").last
    expect(answer).to_contain_text("还不上门")
    expect(answer.locator(".chip").first).to_be_visible()


def test_an_unanswered_question_gets_an_editor_answer_that_the_bot_then_gives(page, editable_server, kb_copy):
    question = "发票可以开电子的吗"
    answer = "可以开具电子发票,订单完成后三个工作日内发送到您预留的邮箱。"
    panel = open_widget(page, editable_server)
    ask_widget(panel, question)
    expect(panel.locator(".chip")).to_have_count(0)  # the manuals do not say: no cited answer
    expect(panel.locator(".msg.bot").last).to_contain_text("转人工")  # a person is offered instead

    open_admin(page, editable_server, "dairy", tab="待解决的问题")  # the demo page is the dairy company's
    group = page.locator("#unanswered > li").filter(has_text=question)
    expect(group.locator(".count")).to_have_text("1")
    group.get_by_role("button", name="撰写答案").click()
    form = group.get_by_role("form", name="撰写答案")
    expect(form.get_by_label("问题")).to_have_value(question)
    form.get_by_label(re.compile("^答案")).fill(answer)
    form.get_by_role("button", name="保存答案").click()
    expect(page.locator("#unanswered-status")).to_contain_text("已保存到 faq.md,正在重建索引")
    expect(page.locator("#unanswered > li").filter(has_text=question)).to_have_count(0)
    expect_reindexed(page)
    expect(page.locator("#reindex-result").get_by_role("row").filter(has_text="faq")).to_be_visible()
    faq = (kb_copy / "dairy" / "faq.md").read_text(encoding="utf-8")
    assert answer in faq and "编辑撰写:张编辑" in faq

    page.goto(editable_server.url + "/demo")  # the widget was left open: it opens again with the conversation
    panel = page.get_by_role("dialog", name="在线客服")
    ask_widget(panel, question)
    reply = panel.locator(".msg.bot").last
    expect(reply).to_contain_text("三个工作日内发送到您预留的邮箱")
    expect(reply.locator(".chip").first).to_contain_text("常见问题")


def test_an_uploaded_manual_is_found_by_the_console_after_reindex_and_rolled_back(page, editable_server, kb_copy, tmp_path):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=editable_server.url)
    manual = "003-顾客服务手册.md"
    changed = tmp_path / "upload" / manual
    changed.parent.mkdir()
    changed.write_text((kb_copy / "lighting" / manual).read_text(encoding="utf-8") + f"\n## 十、冷饮的保存\n\n{UPLOADED_TEXT}\n", encoding="utf-8")

    open_admin(page, editable_server, "lighting")
    expect(page.locator("#index-info")).to_contain_text("m3e-small")
    served_before = page.locator("#index-info dd").first.inner_text()
    upload(page, changed)
    expect(page.locator("#upload-status")).to_contain_text("已上传 " + manual)
    assert UPLOADED_TEXT in (kb_copy / "lighting" / manual).read_text(encoding="utf-8")
    expect(document_row(page, manual.removesuffix(".md"))).to_contain_text("已修改,待重建索引")
    reindex(page)
    expect(page.locator("#reindex-result").get_by_role("row").filter(has_text=manual.removesuffix(".md"))).to_be_visible()

    log_in(page, editable_server.url + "/console", editable_server.tokens.agent, "李客服")
    search = page.get_by_label("搜索服务手册")
    page.get_by_role("heading", name="工单队列").click()  # focus elsewhere, then the shortcut
    page.keyboard.press("/")
    expect(search).to_be_focused()
    page.keyboard.type("冰淇淋怎么保存")
    first = page.locator("#results .hit").first
    expect(first).to_contain_text(UPLOADED_TEXT)
    expect(first.locator("mark", has_text="冰淇淋")).to_have_count(1)
    page.keyboard.press("ArrowDown")
    expect(first).to_be_focused()
    page.keyboard.press("c")
    expect(page.locator("#toast")).to_have_text("已复制")
    assert UPLOADED_TEXT in page.evaluate("navigator.clipboard.readText()")

    page.goto(editable_server.url + "/admin")  # the token was asked once: this tab still has it
    expect(page.locator("#app")).to_be_visible()
    choose_kb(page, "lighting")
    expect(page.locator("#index-info dd").first).not_to_have_text(served_before)
    page.get_by_role("tab", name="版本").click()
    older = page.locator(f'#versions tr[data-version="{served_before}"]')
    older.get_by_role("button", name="回滚到此版本").click()
    older.get_by_role("button", name=re.compile("确认回滚")).click()
    expect(page.locator("#versions-status")).to_have_text(f"已回滚到版本 {served_before};恢复了文档 {manual}。")
    expect(page.locator("#index-info dd").first).to_have_text(served_before)
    assert UPLOADED_TEXT not in (kb_copy / "lighting" / manual).read_text(encoding="utf-8")
