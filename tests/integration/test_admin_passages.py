"""Passages and their associated questions through the real app, model and index on a private
kb/: how a document is cut, a search as the bot ranks, questions written into the kb file under
their passage (the manual's own lines untouched, verified against the raw capture), an
incremental re-index that embeds only the new question, and each refusal."""

import pytest

from indexer.chunk import chunk_document
from indexer.fidelity import unquoted_sentences
from indexer.load import read_document
from indexer.markdown import is_question_line

from admin_support import editor_client, error_of, kb_folder, reindexed
from conftest import MANUALS_DIR

LIGHTING = "003-顾客服务手册"
ON_SITE = "48小时内到达现场"  # lighting: how fast someone comes for a quality problem
TITLE_ONLY = "二、公司品质管理构架"  # lighting: a heading whose content the capture lost; no text to write under


@pytest.fixture(scope="module")
def client(built_settings, encoder, tmp_path_factory):
    with editor_client(built_settings, encoder, tmp_path_factory.mktemp("passages")) as test_client:
        yield test_client


def passages(client, kb="lighting", **params) -> list[dict]:
    response = client.get(f"/api/admin/kbs/{kb}/passages", params={"limit": 200, **params})
    assert response.status_code == 200, response.text
    return response.json()["passages"]


def passage_with(client, words: str, kb="lighting") -> dict:
    return next(p for p in passages(client, kb) if words in p["text"])


def manual_lines(text: str) -> list[str]:
    """The lines of a kb file that are the manual's: all but blank and question lines."""
    return [line for line in text.splitlines() if line.strip() and not is_question_line(line.strip())]


def test_passages_show_how_the_document_is_cut_with_their_questions(client):
    shown = passages(client, doc=LIGHTING)
    cut = chunk_document(read_document(kb_folder(client, "lighting") / f"{LIGHTING}.md"), 40, 400, "lighting")
    assert [(p["id"], p["section"], p["text"], p["kind"], tuple(p["questions"])) for p in shown] == [
        (c.id, c.section, c.text, c.kind, c.questions) for c in cut
    ]
    assert all(p["indexed"] is True and p["editable"] is True for p in shown)


def test_a_search_ranks_the_passages_as_the_bot_does(client):
    question = "质量有问题多久派人来"
    ranked = [p["id"] for p in passages(client, q=question, limit=5)]
    searched = [hit["id"] for hit in client.get("/api/search", params={"q": question, "k": 5, "kb": "lighting"}).json()["results"]]
    assert ranked == searched and ON_SITE in passage_with(client, ON_SITE)["text"]


def test_a_paged_list_says_where_the_next_page_starts(client):
    page = client.get("/api/admin/kbs/gas/passages", params={"limit": 50, "offset": 100}).json()
    assert page["total"] == 134 and len(page["passages"]) == 34 and page["next_offset"] is None
    assert client.get("/api/admin/kbs/gas/passages", params={"limit": 50}).json()["next_offset"] == 50


def test_questions_are_written_under_their_passage_the_manuals_lines_stay_and_a_reindex_embeds_only_them(client):
    path = kb_folder(client, "lighting") / f"{LIGHTING}.md"
    before = path.read_text(encoding="utf-8")
    target = passage_with(client, ON_SITE)
    others = {p["id"]: p["questions"] for p in passages(client) if p["id"] != target["id"]}
    wanted = [*target["questions"][1:], "灯坏了几天来修", "灯不亮了要等几天才有人来"]  # one dropped, two added
    response = client.put(f"/api/admin/kbs/lighting/passages/{target['id']}/questions", json={"questions": wanted})
    assert response.status_code == 200, response.text
    assert response.json()["questions"] == wanted and response.json()["indexed"] is False and response.json()["id"] == target["id"]

    after = path.read_text(encoding="utf-8")
    assert manual_lines(after) == manual_lines(before)
    block = after.split(ON_SITE, 1)[1].split("\n\n")[1].splitlines()
    assert block == [f"> 问法：{q}" for q in wanted]  # right under the passage's text, in the editor's order
    if MANUALS_DIR.is_dir():
        source = read_document(path).meta["source"]
        assert unquoted_sentences(after, (MANUALS_DIR / source).read_text(encoding="utf-8")) == []
    assert {p["id"]: p["questions"] for p in passages(client) if p["id"] != target["id"]} == others
    status = reindexed(client, "lighting")
    assert status["result"]["embedded"] == 2 and status["result"]["questions"] == 111  # 110 - 1 + 2
    assert passage_with(client, ON_SITE)["indexed"] is True


def test_personal_data_in_a_question_is_masked_before_it_is_written(client):
    target = passage_with(client, "保质期满的产品")
    typed = "我叫王小明电话13912345678,过期的灯能退吗"
    response = client.put(f"/api/admin/kbs/lighting/passages/{target['id']}/questions", json={"questions": [*target["questions"], typed]})
    assert response.status_code == 200, response.text
    written = kb_folder(client, "lighting").joinpath(f"{LIGHTING}.md").read_text(encoding="utf-8")
    assert "> 问法：我叫王**电话139****5678,过期的灯能退吗" in written and "13912345678" not in written and "王小明" not in written


def test_questions_that_would_change_the_cut_are_refused_and_nothing_is_written(client):
    path = kb_folder(client, "lighting") / f"{LIGHTING}.md"
    before = path.read_bytes()
    title = passage_with(client, TITLE_ONLY)
    message = error_of(client.put(f"/api/admin/kbs/lighting/passages/{title['id']}/questions", json={"questions": ["品质管理怎么分工"]}), 409, "questions_not_writable")
    assert "未保存" in message
    packed = next(p for p in passages(client, "appliance") if p["text"].startswith("①见面互致"))  # short items: questions keep it apart
    message = error_of(client.put(f"/api/admin/kbs/appliance/passages/{packed['id']}/questions", json={"questions": []}), 409, "questions_not_writable")
    assert "至少保留一个问法" in message
    assert path.read_bytes() == before


def test_questions_of_a_document_that_is_not_markdown_are_refused(client):
    upload = client.post("/api/admin/kbs/lighting/documents", files={"file": ("冷饮.txt", "冷饮须知\n\n一、保存\n\n冰淇淋必须冷冻保存。\n".encode())})
    assert upload.status_code == 201, upload.text
    target = next(p for p in passages(client, doc="冷饮"))
    assert target["editable"] is False
    message = error_of(client.put(f"/api/admin/kbs/lighting/passages/{target['id']}/questions", json={"questions": ["冰淇淋怎么放"]}), 409, "questions_not_writable")
    assert "Markdown" in message
    assert client.delete("/api/admin/kbs/lighting/documents/冷饮").status_code == 200


@pytest.mark.parametrize("body,status,code", [
    ({"questions": ["第一行\n> 问法：伪造"]}, 422, "invalid_request"),
    ({"questions": ["问" * 201]}, 422, "invalid_request"),
    ({"questions": [f"问题{n}" for n in range(101)]}, 422, "invalid_request"),
    ({"questions": "不是列表"}, 422, "invalid_request"),
    ({"questions": [], "extra": 1}, 422, "invalid_request"),
])
def test_malformed_questions_are_refused(client, body, status, code):
    target = passage_with(client, ON_SITE)
    error_of(client.put(f"/api/admin/kbs/lighting/passages/{target['id']}/questions", json=body), status, code)


def test_an_unknown_passage_or_kb_is_refused(client):
    error_of(client.put("/api/admin/kbs/lighting/passages/0123456789abcdef/questions", json={"questions": ["x"]}), 404, "unknown_passage")
    error_of(client.put("/api/admin/kbs/lighting/passages/..%2F..%2Fkb/questions", json={"questions": ["x"]}), 404, "not_found")
    error_of(client.put("/api/admin/kbs/lighting/passages/NOT-AN-ID/questions", json={"questions": ["x"]}), 422, "invalid_request")
    error_of(client.get("/api/admin/kbs/nosuch/passages"), 404, "unknown_kb")
    error_of(client.put("/api/admin/kbs/nosuch/passages/0123456789abcdef/questions", json={"questions": ["x"]}), 404, "unknown_kb")
