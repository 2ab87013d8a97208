"""Knowledge bases created and edited through the real app on a private kb/: the switcher's list,
a new kb indexed from its first upload, its facts edited (the widget's greeting follows at once),
and each refusal."""

import pytest
import yaml

from admin_support import editor_client, error_of, kb_folder, reindexed

DRINKS = {"id": "drinks", "name": "饮品", "organization": "冷饮公司", "greeting": "您好,请问有什么可以帮您?", "quick_questions": ["冰淇淋怎么保存"]}
# A one-passage kb gives the decision little to go on: the customer's question is the passage's
# associated question, so what is tested is that the new kb is served, not retrieval.
MANUAL = "# 冷饮须知\n\n## 第一条\n\n冰淇淋必须在零下十八度冷冻保存,解冻后不得再次冷冻。\n\n> 问法：冰淇淋解冻后可以再次冷冻吗\n"


@pytest.fixture
def client(built_settings, encoder, tmp_path):
    with editor_client(built_settings, encoder, tmp_path) as test_client:
        yield test_client


def test_the_switcher_lists_every_kb_with_the_version_it_is_served_from(client):
    kbs = client.get("/api/admin/kbs").json()
    assert [kb["id"] for kb in kbs] == ["appliance", "dairy", "gas", "lighting", "supermarket"]
    assert all(kb["version"] for kb in kbs) and kbs[1]["organization"].startswith("三鹿")


def test_a_new_kb_is_listed_at_once_and_answers_after_its_first_upload_and_reindex(client):
    created = client.post("/api/admin/kbs", json=DRINKS)
    assert created.status_code == 201, created.text
    assert created.json() == {**DRINKS, "hotline": None, "version": None}
    assert yaml.safe_load((kb_folder(client, "drinks") / "kb.yaml").read_text(encoding="utf-8"))["name"] == "饮品"
    public = {kb["id"]: kb for kb in client.get("/api/kbs").json()}
    assert public["drinks"]["indexed"] is False and public["drinks"]["greeting"] == DRINKS["greeting"]
    # a state an editor changes by re-indexing, not an outage: 409, never a 5xx
    error_of(client.get("/api/admin/kbs/drinks/index"), 409, "kb_not_indexed")
    error_of(client.post("/api/ask", json={"question": "冰淇淋能再冻吗", "kb": "drinks"}), 409, "kb_not_indexed")
    error_of(client.post("/api/admin/hit-test", json={"question": "冰淇淋能再冻吗", "kb": "drinks"}), 409, "kb_not_indexed")
    assert client.post("/api/admin/kbs/drinks/documents", files={"file": ("冷饮.md", MANUAL.encode("utf-8"))}).status_code == 201
    assert reindexed(client, "drinks", force=False)["result"]["docs"] == 1  # no gold questions for it: the gate passes
    answer = client.post("/api/ask", json={"question": "冰淇淋解冻后可以再次冷冻吗", "kb": "drinks"}).json()
    assert answer["band"] == "answer" and "解冻后不得再次冷冻" in answer["answer"]
    assert {kb["id"]: kb for kb in client.get("/api/admin/kbs").json()}["drinks"]["version"]


def test_a_kbs_facts_are_edited_and_the_widget_greets_with_them_at_once(client):
    facts = {"name": "蓝景光电客服", "organization": "蓝景光电", "greeting": "您好,蓝景光电为您服务。", "quick_questions": ["保质期满的产品能退吗"]}
    edited = client.put("/api/admin/kbs/lighting", json=facts)
    assert edited.status_code == 200, edited.text
    assert edited.json()["greeting"] == facts["greeting"] and edited.json()["version"]
    public = {kb["id"]: kb for kb in client.get("/api/kbs").json()}["lighting"]
    assert public["greeting"] == facts["greeting"] and public["quick_questions"] == facts["quick_questions"] and public["hotline"] is None
    assert yaml.safe_load((kb_folder(client, "lighting") / "kb.yaml").read_text(encoding="utf-8")) == facts


@pytest.mark.parametrize("body,status,code", [
    ({**DRINKS, "id": "dairy"}, 409, "kb_exists"),
    ({**DRINKS, "id": "Drinks!"}, 422, "invalid_request"),
    ({**DRINKS, "id": "../kb"}, 422, "invalid_request"),
    ({**DRINKS, "greeting": "您好\n## 伪造"}, 422, "invalid_request"),
    ({**DRINKS, "quick_questions": [f"问题{n}" for n in range(7)]}, 422, "invalid_request"),
    ({**DRINKS, "name": ""}, 422, "invalid_request"),
    ({**DRINKS, "folder": "/etc"}, 422, "invalid_request"),
])
def test_a_bad_new_kb_is_refused_and_nothing_is_written(client, body, status, code):
    before = sorted(path.name for path in client.app.state.settings.kb_dir.iterdir())
    error_of(client.post("/api/admin/kbs", json=body), status, code)
    assert sorted(path.name for path in client.app.state.settings.kb_dir.iterdir()) == before


def test_bad_facts_leave_kb_yaml_as_it_was_and_an_unknown_kb_is_refused(client):
    path = kb_folder(client, "lighting") / "kb.yaml"
    before = path.read_bytes()
    error_of(client.put("/api/admin/kbs/lighting", json={**DRINKS, "id": "x"}), 422, "invalid_request")
    error_of(client.put("/api/admin/kbs/lighting", json={"name": "x", "organization": "y", "greeting": "z", "hotline": "1\n2"}), 422, "invalid_request")
    assert path.read_bytes() == before
    error_of(client.put("/api/admin/kbs/nosuch", json={"name": "x", "organization": "y", "greeting": "z"}), 404, "unknown_kb")
