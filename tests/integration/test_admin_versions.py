"""Index versions through the real app, model and index on a private kb/: the kept versions with
their facts and quality gate, what changed between two, rolling back to any of them (and
forward again) with the documents each was built from, progress counted per batch and step,
and each refusal (unknown kb, a version not kept, a malformed one, nothing to roll back to)."""

import pytest

from bot.gate import dev_items
from indexer.build import build_index

from admin_support import editor_client, error_of, kb_folder, reindexed
from conftest import make_settings

LIGHTING = "003-顾客服务手册.md"
ON_SITE = "必须组织相关人员48小时内到达现场"


@pytest.fixture
def client(built_settings, encoder, tmp_path):
    with editor_client(built_settings, encoder, tmp_path) as test_client:
        yield test_client


def kept(client, kb="lighting") -> list[dict]:
    response = client.get(f"/api/admin/kbs/{kb}/versions")
    assert response.status_code == 200, response.text
    return response.json()["versions"]


def edit_lighting(client) -> None:
    """One passage's text changed, one section added, and a question added to another passage."""
    path = kb_folder(client, "lighting") / LIGHTING
    text = path.read_text(encoding="utf-8").replace("48小时内到达现场", "24小时内到达现场")
    path.write_text(text + "\n## 十、冷饮的保存\n\n冰淇淋必须在零下十八度冷冻保存,解冻后不得再次冷冻。\n", encoding="utf-8")
    target = next(p for p in client.get("/api/admin/kbs/lighting/passages", params={"limit": 200}).json()["passages"] if "保质期满的产品" in p["text"])
    assert client.put(f"/api/admin/kbs/lighting/passages/{target['id']}/questions", json={"questions": [*target["questions"], "过期的灯能退吗"]}).status_code == 200


def test_the_kept_versions_show_when_they_were_built_what_they_hold_and_their_quality_gate(client, built_settings):
    first = kept(client)
    assert len(first) == 1 and first[0]["current"] is True and first[0]["gate"] == {"state": "skipped"}  # built without a gate
    assert first[0]["model"] == "m3e-small" and first[0]["dimension"] == 512 and first[0]["documents"] == [LIGHTING]
    assert (first[0]["docs"], first[0]["chunks"], first[0]["questions"]) == (1, 19, 110) and first[0]["built_at"]

    built = reindexed(client, "lighting", force=False)["result"]
    newest, older = kept(client)
    assert newest["current"] is True and older["current"] is False and newest["version"] > older["version"]
    gate = newest["gate"]
    assert gate["state"] == "passed" and gate["questions"] == len(dev_items(built_settings, "lighting")) > 0
    assert gate["recall_after"] >= gate["recall_before"] - gate["allowed_drop"]
    # the build's own counts (the session's cache may have lost a text another test edited)
    assert (newest["embedded"], newest["reused"]) == (built["embedded"], built["reused"]) and newest["reused"] > newest["embedded"]


def test_the_difference_of_two_versions_lists_passages_added_removed_changed_and_questions_added(client):
    before = kept(client)[0]["version"]
    edit_lighting(client)
    after = reindexed(client, "lighting")["version"]
    diff = client.get(f"/api/admin/kbs/lighting/versions/{before}/diff/{after}")
    assert diff.status_code == 200, diff.text
    body = diff.json()
    assert body["counts"] == {"added": 1, "removed": 0, "changed": 1, "questions_added": 1, "questions_removed": 0}
    assert body["added"][0]["text"].startswith("冰淇淋必须在零下十八度") and body["added"][0]["section"].endswith("十、冷饮的保存")
    change = body["changed"][0]
    assert "48小时内到达现场" in change["before"]["text"] and "24小时内到达现场" in change["after"]["text"]
    assert change["before"]["section"] == change["after"]["section"]
    assert body["questions_added"][0]["questions"] == ["过期的灯能退吗"]
    back = client.get(f"/api/admin/kbs/lighting/versions/{after}/diff/{before}").json()["counts"]
    assert back == {"added": 0, "removed": 1, "changed": 1, "questions_added": 0, "questions_removed": 1}


def test_a_rollback_to_any_kept_version_serves_it_with_its_documents_and_rolls_forward_again(client):
    original = kept(client)[0]["version"]
    pristine = (kb_folder(client, "lighting") / LIGHTING).read_bytes()
    edit_lighting(client)
    edited = reindexed(client, "lighting")["version"]
    edited_bytes = (kb_folder(client, "lighting") / LIGHTING).read_bytes()
    reindexed(client, "lighting")  # a third version: the rollback below is not merely to the previous one
    question = {"question": "灯有质量问题多久到现场", "kb": "lighting"}
    assert "24小时内到达现场" in client.post("/api/ask", json=question).json()["answer"]

    rolled = client.post("/api/admin/kbs/lighting/rollback", json={"version": original})
    assert rolled.status_code == 200, rolled.text
    assert rolled.json() == {"kb": "lighting", "version": original, "documents": {"restored": [LIGHTING], "removed": [], "missing": []}}
    assert (kb_folder(client, "lighting") / LIGHTING).read_bytes() == pristine
    assert client.get("/api/admin/kbs/lighting/index").json()["version"] == original
    assert "48小时内到达现场" in client.post("/api/ask", json=question).json()["answer"]
    status = client.get("/api/admin/kbs/lighting/reindex").json()
    assert status["state"] == "idle" and status["result"] is None  # no stale build result

    forward = client.post("/api/admin/kbs/lighting/rollback", json={"version": edited})
    assert forward.status_code == 200 and forward.json()["version"] == edited
    assert (kb_folder(client, "lighting") / LIGHTING).read_bytes() == edited_bytes
    assert [v["version"] for v in kept(client) if v["current"]] == [edited]


def test_the_default_rollback_is_to_the_previous_version(client):
    original = kept(client)[0]["version"]
    reindexed(client, "lighting")
    assert client.post("/api/admin/kbs/lighting/rollback").json()["version"] == original


def test_versions_not_kept_and_unknown_kbs_are_refused(client):
    current = kept(client)[0]["version"]
    gone = "20000101T000000000Z"
    error_of(client.get(f"/api/admin/kbs/lighting/versions/{gone}/diff/{current}"), 404, "version_not_found")
    error_of(client.get(f"/api/admin/kbs/lighting/versions/{current}/diff/{gone}"), 404, "version_not_found")
    error_of(client.post("/api/admin/kbs/lighting/rollback", json={"version": gone}), 404, "version_not_found")
    error_of(client.get(f"/api/admin/kbs/lighting/versions/..%2F..%2FCURRENT/diff/{current}"), 404, "not_found")
    error_of(client.get(f"/api/admin/kbs/lighting/versions/latest/diff/{current}"), 422, "invalid_request")
    error_of(client.post("/api/admin/kbs/lighting/rollback", json={"version": "../CURRENT"}), 422, "invalid_request")
    error_of(client.post("/api/admin/kbs/lighting/rollback"), 409, "conflict")  # one version: nothing older
    error_of(client.get("/api/admin/kbs/nosuch/versions"), 404, "unknown_kb")
    error_of(client.get(f"/api/admin/kbs/nosuch/versions/{current}/diff/{current}"), 404, "unknown_kb")
    error_of(client.post("/api/admin/kbs/nosuch/rollback", json={"version": current}), 404, "unknown_kb")
    assert kept(client)[0]["current"] is True


def test_a_build_reports_embedding_after_every_batch_and_writing_step_by_step(tmp_path, encoder):
    settings = make_settings(tmp_path, cache_dir=tmp_path / "cache")  # its own cache: every text is embedded
    reports = []
    build_index(settings, "lighting", encoder=encoder, progress=lambda *report: reports.append(report))
    embedded = [done for stage, done, _ in reports if stage == "embed"]
    total = next(total for stage, _, total in reports if stage == "embed")
    assert embedded[0] == 0 and embedded[-1] == total > 100
    assert max(b - a for a, b in zip(embedded, embedded[1:])) <= encoder.batch_size  # one report per batch
    assert [done for stage, done, _ in reports if stage == "write"] == [0, 1, 2, 3, 4, 5]
