"""Knowledge bases per company: kb.yaml, the API and CLI that name a kb, and the separation of
one company's answers from another's."""

import json

import pytest
from fastapi.testclient import TestClient

from bot.app import create_app
from kefu.kbs import KbInvalid, UnknownKb, create_kb, find_kb, list_kbs, parse_kb

from conftest import make_settings, run_kefu

KBS = ["appliance", "dairy", "gas", "lighting", "supermarket"]


def test_the_five_manuals_are_five_knowledge_bases_with_their_facts(tmp_path):
    kbs = list_kbs(make_settings(tmp_path))
    assert [kb.id for kb in kbs] == KBS
    for kb in kbs:
        assert kb.name and kb.organization and kb.greeting and 1 <= len(kb.quick_questions) <= 6
    assert find_kb(make_settings(tmp_path), "supermarket").hotline == "400 100 0283"  # as its manual states
    assert find_kb(make_settings(tmp_path), "dairy").hotline is None  # its manual states none


@pytest.mark.parametrize("text,names", [
    ("name: x\norganization: y\ngreeting: z\ncolour: red\n", "colour"),
    ("name: x\norganization: y\n", "greeting"),
    ("name: x\norganization: y\ngreeting: z\nquick_questions: [a, b, c, d, e, f, g]\n", "quick_questions"),
    ("- just\n- a list\n", "mapping"),
    ("name: [unclosed\n", "cannot be read"),
])
def test_a_bad_kb_yaml_is_refused_naming_the_problem(tmp_path, text, names):
    folder = tmp_path / "shop"
    folder.mkdir()
    (folder / "kb.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(KbInvalid, match=names):
        parse_kb(folder)


def test_kb_ids_are_plain_slugs_and_a_new_kb_is_written_whole(tmp_path):
    settings = make_settings(tmp_path, kb_dir=tmp_path / "kb")
    for bad in ("Shop", "../kb", "商店", "a" * 41, ""):
        with pytest.raises(KbInvalid):
            create_kb(settings, bad, "店", "公司", "您好")
    made = create_kb(settings, "shop-1", "小店客服", "小店", "您好,请问有什么可以帮您?", hotline="400-000-0000")
    assert find_kb(settings, "shop-1") == made and not list((tmp_path / "kb" / "shop-1").glob("*.tmp"))
    with pytest.raises(KbInvalid, match="already exists"):
        create_kb(settings, "shop-1", "小店客服", "小店", "您好")
    with pytest.raises(UnknownKb):
        find_kb(settings, "nosuch")


@pytest.fixture(scope="module")
def client(built_settings, encoder, tmp_path_factory):
    db = tmp_path_factory.mktemp("kbs") / "kefu.db"
    settings = built_settings.model_copy(update={"database_url": f"sqlite:///{db}", "ticket_rate_per_minute": 1000})
    with TestClient(create_app(settings, encoder=encoder)) as test_client:
        yield test_client


def test_the_widget_reads_each_kbs_greeting_and_quick_questions(client):
    kbs = client.get("/api/kbs").json()
    assert [kb["id"] for kb in kbs] == KBS and all(kb["indexed"] for kb in kbs)
    dairy = next(kb for kb in kbs if kb["id"] == "dairy")
    assert dairy["greeting"] and dairy["quick_questions"] and "folder" not in dairy


def test_a_question_asked_in_a_kb_is_answered_from_that_kb_alone(client):
    for kb in KBS:
        body = client.post("/api/ask", json={"question": "投诉多久会有回复", "kb": kb}).json()
        searched = client.get("/api/search", params={"q": "投诉多久会有回复", "kb": kb, "k": 8}).json()
        assert {c["kb"] for c in body["citations"]} <= {kb}
        assert {r["kb"] for r in searched["results"]} == {kb}
    # An agent serving every company asks with no kb: passages of several kbs compete.
    mixed = client.get("/api/search", params={"q": "投诉多久会有回复", "k": 20}).json()
    assert len({r["kb"] for r in mixed["results"]}) > 1


def test_another_companys_phone_script_is_not_offered_to_the_dairys_customers(client):
    searched = client.get("/api/search", params={"q": "过期的牛奶能退吗", "kb": "dairy", "k": 10}).json()
    assert {r["kb"] for r in searched["results"]} == {"dairy"}
    assert not any("应说" in r["text"] or "话务员" in r["text"] for r in searched["results"][:3])


def test_tickets_belong_to_the_kb_they_were_opened_in(client):
    agent = {"Authorization": f"Bearer {client.app.state.tokens.agent}"}
    session = client.post("/api/ask", json={"question": "转人工", "kb": "gas"}).json()["session_id"]
    gas = client.post("/api/tickets", json={"name": "李四", "phone": "13800138001", "session_id": session}).json()
    other = client.post("/api/tickets", json={"name": "王五", "phone": "13800138002", "kb": "lighting"}).json()
    assert client.get(f"/api/tickets/{gas['ticket_id']}", headers=agent).json()["kb"] == "gas"
    queue = client.get("/api/tickets", params={"kb": "gas"}, headers=agent).json()["tickets"]
    assert gas["ticket_id"] in {t["id"] for t in queue} and other["ticket_id"] not in {t["id"] for t in queue}
    assert {t["kb"] for t in queue} == {"gas"}


def test_the_demo_page_is_a_companys_page_with_its_kb(client):
    dairy = client.get("/demo")
    assert dairy.status_code == 200 and 'data-kefu-kb="dairy"' in dairy.text and "三鹿" in dairy.text
    gas = client.get("/demo", params={"kb": "gas"})
    assert 'data-kefu-kb="gas"' in gas.text and '/demo?kb=dairy' in gas.text
    assert "script-src 'self'" in gas.headers["content-security-policy"]
    assert client.get("/demo", params={"kb": "nosuch"}).status_code == 404
    assert client.get("/demo", params={"kb": '"><script>'}).status_code == 422


def test_kefu_kb_list_and_passages(built_settings):
    listing = run_kefu(["kb", "list", "--json"], built_settings)
    assert listing.returncode == 0, listing.stderr
    kbs = json.loads(listing.stdout)
    assert [kb["id"] for kb in kbs] == KBS
    dairy = next(kb for kb in kbs if kb["id"] == "dairy")
    assert dairy["documents"] == [{"doc": "000-客户服务知识手册", "title": "客户服务知识手册", "source": "000_b3e3bd6b8c35c8cf.txt"}]
    passages = run_kefu(["kb", "passages", "--kb", "lighting", "--json"], built_settings)
    rows = [json.loads(line) for line in passages.stdout.splitlines()]
    assert rows and set(rows[0]) == {"id", "doc", "section", "text", "questions"}
    assert sum(len(r["questions"]) for r in rows) > 100 and all(q not in r["text"] for r in rows for q in r["questions"])
    refused = run_kefu(["kb", "passages", "--kb", "nosuch", "--json"], built_settings)
    assert refused.returncode == 1 and "nosuch" in refused.stderr


def test_a_questions_file_may_name_each_lines_kb_and_persona(built_settings, tmp_path):
    questions = tmp_path / "questions.jsonl"
    lines = ['{"question": "投诉多久会有回复", "kb": "lighting"}', "投诉多久会有回复", '{"question": "质量投诉 几小时上报", "kb": "dairy", "persona": "agent"}']
    questions.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = run_kefu(["search", "--file", str(questions), "--json", "-k", "3"], built_settings)
    assert result.returncode == 0, result.stderr
    first, second, third = [json.loads(line) for line in result.stdout.splitlines()]
    assert {r["kb"] for r in first["results"]} == {"lighting"} and {r["kb"] for r in third["results"]} == {"dairy"}
    assert second["query"] == "投诉多久会有回复"
    questions.write_text('{"question": "你好", "colour": "red"}\n', encoding="utf-8")
    refused = run_kefu(["ask", "--file", str(questions)], built_settings)
    assert refused.returncode == 1 and "colour" in refused.stderr
