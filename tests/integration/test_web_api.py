"""The API parts the web pages rely on: re-index progress stage by stage, query terms for highlighting."""

import re
from pathlib import Path

from fastapi.testclient import TestClient

from bot.app import create_app
from bot.store import tickets
from indexer.build import build_index
from kefu.kbs import create_kb
from kefu.vocab import REQUIRED_COMPLAINT_FIELDS, Channel, ComplaintField, HandoffReason, MessageRole, Priority, TicketStatus, values

from conftest import make_settings

WEB = Path(__file__).resolve().parents[2] / "web"
STAGES = ["load", "chunk", "embed", "write", "check", "publish"]


def drinks_kb(root):
    """A kb root with one tiny knowledge base, `drinks`, of two documents."""
    settings = make_settings(root, kb_dir=root / "kb", cache_dir=root / "cache")  # its own cache: the first build embeds all
    folder = create_kb(settings, "drinks", "饮品", "测试公司", "您好").folder
    (folder / "冷饮.md").write_text("# 冷饮须知\n\n## 第一条\n\n冰淇淋必须在零下十八度冷冻保存。\n", encoding="utf-8")
    (folder / "热饮.md").write_text("# 热饮须知\n\n## 第一条\n\n热牛奶应在六十度以下饮用。\n\n## 第二条\n\n开封后当天喝完。\n", encoding="utf-8")
    return settings


def test_build_reports_each_stage_until_done(tmp_path, encoder):
    settings = drinks_kb(tmp_path)
    reports = []
    build_index(settings, "drinks", encoder=encoder, gate=lambda folder: None, progress=lambda *r: reports.append(r))
    stages = [stage for i, (stage, _, _) in enumerate(reports) if i == 0 or reports[i - 1][0] != stage]
    assert stages == STAGES
    assert [r for r in reports if r[0] == "load"] == [("load", 1, 2), ("load", 2, 2)]
    for stage in STAGES:
        last = [r for r in reports if r[0] == stage][-1]
        assert last[1] == last[2], last  # every stage ends complete
    embed = [r for r in reports if r[0] == "embed"]
    assert embed[0][1] == 0 and embed[-1][1] == embed[-1][2] > 0  # nothing cached on a first build

    again = []
    build_index(settings, "drinks", encoder=encoder, progress=lambda *r: again.append(r))
    embed_again = [r for r in again if r[0] == "embed"]
    assert embed_again == [("embed", embed[-1][2], embed[-1][2])]  # all reused from the cache
    assert "check" not in [r[0] for r in again]  # no gate, no check stage


def test_reindex_status_ends_with_the_switch(tmp_path, encoder):
    settings = drinks_kb(tmp_path)
    build_index(settings, "drinks", encoder=encoder)
    (settings.kb_dir / "drinks" / "新增.md").write_text("# 新增\n\n## 第一条\n\n酸奶需冷藏。\n", encoding="utf-8")
    with TestClient(create_app(settings, encoder=encoder)) as client:
        admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
        assert client.post("/api/admin/kbs/drinks/reindex", params={"force": True}, headers=admin).status_code == 202
        client.app.state.bot.reindexer.wait("drinks", timeout=300)
        status = client.get("/api/admin/kbs/drinks/reindex", headers=admin).json()
    assert status["state"] == "done", status
    assert status["progress"] == {"stage": "switch", "done": 1, "total": 1}
    assert status["changes"]["新增"]["added"] == 1


def test_a_reindex_whose_process_died_is_reported_failed_not_running_for_ever(tmp_path, encoder):
    import json
    import subprocess
    import sys

    from bot.reindex import STATUS_FILE
    from kefu.settings import index_root

    settings = drinks_kb(tmp_path)
    build_index(settings, "drinks", encoder=encoder)
    gone = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True, check=True).stdout)
    running = {"state": "running", "kb": "drinks", "started_at": "2026-12-01T08:00:00+00:00", "pid": gone}  # killed mid-build
    (index_root(settings, "drinks") / STATUS_FILE).write_text(json.dumps(running), encoding="utf-8")
    with TestClient(create_app(settings, encoder=encoder)) as client:
        admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
        status = client.get("/api/admin/kbs/drinks/reindex", headers=admin).json()
        assert status["state"] == "failed" and "中断" in status["error"], status
        assert client.post("/api/admin/kbs/drinks/reindex", params={"force": True}, headers=admin).status_code == 202
        assert client.app.state.bot.reindexer.wait("drinks", timeout=300)["state"] == "done"


def test_search_returns_the_query_terms_for_highlighting(built_settings, encoder):
    with TestClient(create_app(built_settings, encoder=encoder)) as client:
        body = client.get("/api/search", params={"q": "电话铃响几声必须接听", "k": 1, "kb": "dairy"}).json()
    assert {"接听", "电话"} <= set(body["terms"])
    assert all(term in body["query"] for term in body["terms"])
    assert "接听" in body["results"][0]["text"]


def test_the_widget_checks_phones_with_the_servers_patterns():
    """The widget validates before sending with the ticket store's own patterns, not a look-alike."""
    widget = (WEB / "widget.js").read_text(encoding="utf-8")
    patterns = dict(re.findall(r"const (MOBILE|LANDLINE) = /(.+?)/;", widget))
    assert patterns == {"MOBILE": tickets._MOBILE.pattern, "LANDLINE": tickets._LANDLINE.pattern}
    assert 'replace(/[\\s()]/g, "")' in widget and 'replace(/-/g, "")' in widget  # compacted as valid_phone does


def js_object_keys(source: str, name: str) -> set[str]:
    """The keys of a one-line object literal `name: { key: "…", … }` or `const name = { … }`."""
    body = re.search(rf"(?:const {name} =|\b{name}:) \{{(.*?)\}}", source).group(1)
    return set(re.findall(r'(?:^|,)\s*"?([\w\u4e00-\u9fff]+)"?\s*:', body))


def test_the_pages_labels_name_exactly_the_servers_vocabulary():
    """A status, priority, reason, role or channel the server sends always has a label on the pages."""
    common = (WEB / "static" / "common.js").read_text(encoding="utf-8")
    expected = {"status": TicketStatus, "priority": Priority, "reason": HandoffReason, "role": MessageRole, "channel": Channel}
    for name, enum in expected.items():
        assert js_object_keys(common, name) == set(values(enum)), name


def test_the_widget_asks_and_requires_the_servers_complaint_fields():
    widget = (WEB / "widget.js").read_text(encoding="utf-8")
    assert js_object_keys(widget, "FIELD_LABELS") == {"name", "phone", *values(ComplaintField)}
    required = set(re.findall(r'"([^"]+)"', re.search(r"const REQUIRED = new Set\(\[(.*?)\]\)", widget).group(1)))
    assert required == {"name", "phone", *(field.value for field in REQUIRED_COMPLAINT_FIELDS)}


def test_the_root_page_links_to_every_page_and_the_site_has_a_favicon(tmp_path):
    client = TestClient(create_app(make_settings(tmp_path)))  # no lifespan: pages need no model or index
    home = client.get("/")
    links = re.findall(r'<a href="(/[^"]*)"', home.text)
    linked = {link: client.get(link).status_code for link in links}
    icon = client.get("/favicon.ico")
    assert home.status_code == 200 and home.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in home.headers["content-security-policy"]
    assert set(links) == {"/demo", "/console", "/admin", "/docs"}
    assert linked == dict.fromkeys(links, 200)
    assert icon.status_code == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert icon.text.startswith("<svg") and icon.headers["x-content-type-options"] == "nosniff"
