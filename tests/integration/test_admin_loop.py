"""The loop from a missed question to an answer, through the real app, model, index and SQLite
on a private kb/: unanswered questions grouped by meaning over a window, personal data masked,
a group leaving once linked or answered and when a re-index answers it (recomputed), the 没帮助
answers, and a bounded cost however many long questions customers typed."""

import json
import uuid
from datetime import timedelta

import pytest

from bot.store.models import AnswerLog, now_utc
from bot.unanswered import GROUP_CHARS, MAX_ROWS, SHOWN_CHARS

from admin_support import editor_client, error_of, kb_folder, reindexed

ON_SITE = "必须组织相关人员48小时内到达现场"
# The passage carries a way of asking it (the refitted decision hardly answers a customer from a
# passage without one: 0.001), not the customer's own words, which would count as linked at once.
ICE_CREAM = "---\ntitle: 冷饮手册\ndate: 2026-12-01\n---\n# 冷饮手册\n\n## 第一条\n\n冰淇淋必须在零下十八度冷冻保存,解冻后不得再次冷冻。\n\n> 问法：解冻的冰淇淋还能再冻吗\n"


@pytest.fixture
def client(built_settings, encoder, tmp_path):
    # The loop's logic, not the decision's calibration, is tested: at 0.7 the refitted decision no
    # longer answers 发票可以开电子的吗 from an unrelated passage (0.66 against its 0.54).
    with editor_client(built_settings, encoder, tmp_path, ask_rate_per_minute=10**6, answer_threshold=0.7) as test_client:
        yield test_client


def log_unanswered(client, kb: str, question: str, days_ago: float = 0, times: int = 1) -> None:
    """Questions in the answer log as the bot leaves one it could not answer (`days_ago` old)."""
    with client.app.state.bot.records.store.session() as db:
        for n in range(times):
            db.add(AnswerLog(
                id=uuid.uuid4().hex, session_id="s", question=question, answer="…", confidence=0.1,
                handoff_reason="low_confidence", citations=[], index_version=f"{kb}:v", created_at=now_utc() - timedelta(days=days_ago), kb=kb,
            ))


def unanswered(client, kb="lighting", days=30, **params) -> dict:
    """The list once every question has been asked of the served version again."""
    for _ in range(60):
        response = client.get(f"/api/admin/kbs/{kb}/unanswered", params={"days": days, **params})
        assert response.status_code == 200, response.text
        if response.json()["rechecking"] == 0:
            return response.json()
    raise AssertionError("the served version was never asked every question")


def questions_of(page) -> list[str]:
    return [group["question"] for group in page["groups"]]


def test_unanswered_questions_are_grouped_by_meaning_with_counts_within_the_window(client):
    log_unanswered(client, "lighting", "发票可以开电子的吗", times=2)
    log_unanswered(client, "lighting", "发票能开电子的不")
    log_unanswered(client, "lighting", "积分怎么兑换")
    log_unanswered(client, "lighting", "会员卡丢了怎么补办", days_ago=10)
    log_unanswered(client, "dairy", "发票可以开电子的吗", times=5)  # another company's
    week = unanswered(client, days=7)
    assert [(g["question"], g["count"], g["distinct"]) for g in week["groups"]] == [("发票可以开电子的吗", 3, 2), ("积分怎么兑换", 1, 1)]
    assert sorted(week["groups"][0]["examples"]) == sorted(week["groups"][0]["questions"]) == ["发票可以开电子的吗", "发票能开电子的不"]
    month = unanswered(client, days=30)
    assert questions_of(month) == ["发票可以开电子的吗", "积分怎么兑换", "会员卡丢了怎么补办"] and month["asked"] == 5
    paged = unanswered(client, days=30, limit=2, offset=2)
    assert questions_of(paged) == ["会员卡丢了怎么补办"] and paged["total"] == 3 and paged["next_offset"] is None


def test_personal_data_is_masked_for_editors_while_agents_see_the_tickets_contact(client):
    question = "我叫张三丰,电话13812345678,住北京市朝阳区建国路88号,灯泡坏了怎么办"
    asked = client.post("/api/ask", json={"question": question, "kb": "lighting"}).json()
    assert asked["band"] != "answer"
    listed = json.dumps(unanswered(client), ensure_ascii=False)
    assert "我叫张**,电话138****5678,住北京市朝阳区***,灯泡坏了怎么办" in listed
    assert "13812345678" not in listed and "张三丰" not in listed and "建国路" not in listed
    ticket = client.post("/api/tickets", json={"session_id": asked["session_id"], "name": "张三丰", "phone": "13812345678", "kb": "lighting"}).json()
    agent = client.get(f"/api/tickets/{ticket['ticket_id']}", headers={"Authorization": f"Bearer {client.app.state.tokens.agent}"}).json()
    assert agent["name"] == "张三丰" and agent["phone"] == "13812345678" and question in json.dumps(agent["messages"], ensure_ascii=False)


def test_a_group_leaves_the_list_once_linked_to_a_passage_and_the_question_is_then_answered(client):
    question = "灯坏了几天来修"
    assert client.post("/api/ask", json={"question": question, "kb": "lighting"}).json()["band"] != "answer"
    group = unanswered(client)["groups"][0]
    assert group["question"] == question
    passages = client.get("/api/admin/kbs/lighting/passages", params={"limit": 200}).json()["passages"]
    target = next(p for p in passages if ON_SITE in p["text"])
    linked = client.put(f"/api/admin/kbs/lighting/passages/{target['id']}/questions", json={"questions": [*target["questions"], *group["questions"]]})
    assert linked.status_code == 200, linked.text
    assert unanswered(client)["groups"] == []  # at once, before the re-index
    reindexed(client, "lighting")
    again = client.post("/api/ask", json={"question": question, "kb": "lighting"}).json()
    assert again["band"] == "answer" and again["citations"][0]["id"] == target["id"]


def test_a_group_leaves_the_list_when_a_reindex_answers_it_confidently(client):
    question = "冰淇淋解冻后可以再次冷冻吗"
    log_unanswered(client, "lighting", question, times=3)
    log_unanswered(client, "lighting", "积分怎么兑换")
    assert questions_of(unanswered(client)) == [question, "积分怎么兑换"]
    upload = client.post("/api/admin/kbs/lighting/documents", files={"file": ("冷饮.md", ICE_CREAM.encode("utf-8"))})
    assert upload.status_code == 201
    assert questions_of(unanswered(client)) == [question, "积分怎么兑换"]  # not yet served
    reindexed(client, "lighting")
    assert questions_of(unanswered(client)) == ["积分怎么兑换"]  # asked again of the new version: answered
    client.post("/api/admin/kbs/lighting/rollback")
    assert questions_of(unanswered(client)) == [question, "积分怎么兑换"]  # recomputed, not hidden


def test_an_faq_entry_for_a_group_takes_its_questions_masked_and_the_group_leaves(client):
    log_unanswered(client, "lighting", "发票可以开电子的吗", times=2)
    log_unanswered(client, "lighting", "发票能开电子的不")
    group = unanswered(client)["groups"][0]
    entry = {"question": "发票可以开电子的吗 我的电话13812345678", "answer": "可以开具电子发票。", "author": "张编辑", "questions": group["questions"]}
    saved = client.post("/api/admin/kbs/lighting/faq", json=entry)
    assert saved.status_code == 201, saved.text
    assert saved.json()["question"] == "发票可以开电子的吗 我的电话138****5678" and saved.json()["file"] == "faq.md"
    faq = (kb_folder(client, "lighting") / "faq.md").read_text(encoding="utf-8")
    assert "## 发票可以开电子的吗 我的电话138****5678" in faq and "13812345678" not in faq
    assert "> 问法：发票能开电子的不" in faq and "> 问法：发票可以开电子的吗" in faq
    assert unanswered(client)["groups"] == []
    reindexed(client, "lighting")
    answer = client.post("/api/ask", json={"question": "发票能开电子的不", "kb": "lighting"}).json()
    assert answer["band"] == "answer" and "可以开具电子发票" in answer["answer"] and answer["citations"][0]["id"] == saved.json()["passage"]


def test_unhelpful_answers_are_listed_with_question_answer_and_comment_until_linked(client):
    question = "保质期满的产品能退吗 我电话13912345678"
    asked = client.post("/api/ask", json={"question": question, "kb": "lighting"}).json()
    liked = client.post("/api/ask", json={"question": "安装错了能退吗", "kb": "lighting"}).json()
    other = client.post("/api/ask", json={"question": "电话铃响几声必须接听", "kb": "dairy"}).json()
    client.post("/api/feedback", json={"answer_id": asked["answer_id"], "helpful": False, "comment": "没说清楚,我住上海市浦东新区世纪大道100号"})
    client.post("/api/feedback", json={"answer_id": liked["answer_id"], "helpful": True})
    client.post("/api/feedback", json={"answer_id": other["answer_id"], "helpful": False})
    page = client.get("/api/admin/kbs/lighting/feedback").json()
    assert page["total"] == 1
    item = page["items"][0]
    assert item["question"] == "保质期满的产品能退吗 我电话139****5678" and item["answer"] == asked["answer"]
    assert item["comment"] == "没说清楚,我住上海市浦东新区***" and item["answer_id"] == asked["answer_id"]
    passages = client.get("/api/admin/kbs/lighting/passages", params={"limit": 200}).json()["passages"]
    target = next(p for p in passages if "保质期满的产品" in p["text"])
    client.put(f"/api/admin/kbs/lighting/passages/{target['id']}/questions", json={"questions": [*target["questions"], item["text"]]})
    assert client.get("/api/admin/kbs/lighting/feedback").json()["items"] == []


def test_the_list_costs_a_bounded_amount_however_many_long_questions_customers_typed(client, monkeypatch):
    """134 questions of 2,000 characters made one request take 24 s: now each is masked and cut
    before anything encodes it, no more than MAX_ROWS are read, and a page of groups returns."""
    filler = "我想咨询一下关于灯具质量问题的处理流程和时间," * 90
    for n in range(400):
        log_unanswered(client, "lighting", f"第{n}个问题:{filler}"[:2000], times=6)
    queries = client.app.state.bot.queries
    encoded: list[str] = []
    real = queries.encode
    monkeypatch.setattr(queries, "encode", lambda text: encoded.append(text) or real(text))
    first = client.get("/api/admin/kbs/lighting/unanswered", params={"limit": 20})
    assert first.status_code == 200 and len(first.content) < 200_000
    page = unanswered(client, limit=20)
    assert page["asked"] == MAX_ROWS and page["truncated"] is True and len(page["groups"]) <= 20
    assert encoded and max(len(text) for text in encoded) <= GROUP_CHARS
    assert all(len(example) <= SHOWN_CHARS + 1 for group in page["groups"] for example in group["examples"])
    assert all(len(question) <= GROUP_CHARS for group in page["groups"] for question in group["questions"])
    encoded.clear()
    unanswered(client, limit=20)
    assert encoded == []  # masks, vectors and answers are cached: the next look costs no encoding


@pytest.mark.parametrize("method,path,status,code", [
    ("GET", "/api/admin/kbs/nosuch/unanswered", 404, "unknown_kb"),
    ("GET", "/api/admin/kbs/nosuch/feedback", 404, "unknown_kb"),
    ("GET", "/api/admin/kbs/lighting/unanswered?days=0", 422, "invalid_request"),
    ("GET", "/api/admin/kbs/lighting/unanswered?days=366", 422, "invalid_request"),
    ("GET", "/api/admin/kbs/lighting/unanswered?limit=101", 422, "invalid_request"),
    ("GET", "/api/admin/kbs/lighting/feedback?offset=-1", 422, "invalid_request"),
])
def test_bad_loop_requests_are_refused(client, method, path, status, code):
    error_of(client.request(method, path), status, code)


def test_an_faq_entry_for_an_unknown_kb_is_refused(client):
    error_of(client.post("/api/admin/kbs/nosuch/faq", json={"question": "发票", "answer": "可以。", "author": "张编辑"}), 404, "unknown_kb")
