"""Hostile and malformed input, one table: every row is a request through the real app (real
index, model, SQLite file, a private kb/ copy) and what it must get back. Rejected requests leave
nothing half-stored: no ticket row, no kb/ file, no index change. Then the CLI's own table.
"""

import hashlib
import io
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from bot.app import create_app
from indexer import versions
from kefu.settings import index_root

from conftest import ALIAS_BOMB, REPO

UPLOAD_LIMIT = 64 * 1024
HOSTILE_HTML = '<script>alert("x")</script><img src=x onerror=alert(1)>'
HOSTILE_SQL = "王'); DROP TABLE tickets;--"


def zip_bomb_docx() -> bytes:
    """A .docx-shaped zip whose one part inflates a thousandfold."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", b"<w:document>" + b"A" * (5 * 1024 * 1024) + b"</w:document>")
    return buffer.getvalue()


def chunked(data: bytes, size: int = 64 * 1024):
    """A body sent without Content-Length (chunked), so only the bytes received can be counted."""
    for start in range(0, len(data), size):
        yield data[start:start + size]


@dataclass
class Row:
    name: str
    method: str
    path: str
    request: dict
    status: int
    code: str | None = None  # the error code, for 4xx rows
    names: str | None = None  # the error message must name this (a field, a limit)
    role: str | None = None  # "agent" or "admin": send that token
    check: callable = None  # extra assertions on a 2xx body


def upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> dict:
    return {"files": {"file": (name, data, content_type)}}


def answered_or_offered(expected: str, query: str):
    """Answered quoting `expected`, or (less sure of a question in two languages) offered among
    the 您是想问 options the passage that states it."""

    def check(body, client):
        if body["band"] == "answer":
            return answered_with(expected)(body, client)
        assert body["band"] == "suggest", body
        found = client.get("/api/search", params={"q": query, "k": 10}).json()["results"]
        holding = {r["id"] for r in found if expected in r["text"]}
        assert {option["id"] for option in body["suggestions"]} & holding, body["suggestions"]

    return check


def answered_with(expected: str):
    def check(body, client):
        assert body["band"] == "answer", body
        assert any(expected in c["text"] for c in body["citations"]), body["citations"]
        # extractive: the bot quotes its manuals, never the question's markup
        assert "<script" not in body["answer"] and "alert(" not in body["answer"]

    return check


def stored_question(client, answer_id: str) -> str:
    with client.app.state.bot.records.store.session() as db:
        return db.execute(text("SELECT question FROM answers WHERE id = :id"), {"id": answer_id}).scalar_one()


def markup_kept_as_text(expected: str):
    """The markup neither breaks the answer nor is echoed into it; the log keeps it verbatim."""

    def check(body, client):
        answered_or_offered(expected, "电话铃响几声必须接听")(body, client)
        shown = body["answer"] + "".join(option["question"] for option in body["suggestions"])
        assert "<script" not in shown and "onerror" not in shown
        assert stored_question(client, body["answer_id"]) == HOSTILE_HTML + "电话铃响几声必须接听"

    return check


def politely_handed_off(body, client):
    assert body["handoff"]["needed"] is True and body["citations"] == [] and body["answer"]


def stored_verbatim(field_name: str, value: str):
    def check(body, client):
        agent = {"Authorization": f"Bearer {client.app.state.tokens.agent}"}
        stored = client.get(f"/api/tickets/{body['ticket_id']}", headers=agent)
        assert stored.status_code == 200 and stored.headers["content-type"].startswith("application/json")
        assert stored.json()[field_name] == value
        own = client.get(f"/api/tickets/{body['ticket_id']}", params={"key": body["access_key"]}).json()
        assert own[field_name] == value
        assert client.get("/api/tickets", headers=agent).status_code == 200  # the table is still there

    return check


ASK, TICKETS, DOCS, FAQ = "/api/ask", "/api/tickets", "/api/admin/kbs/lighting/documents", "/api/admin/kbs/lighting/faq"
CONTACT = {"name": "张三", "phone": "13800138000"}
FAQ_ENTRY = {"question": "发票可以开电子的吗", "answer": "可以开具电子发票。", "author": "张编辑"}
ROWS = [
    # --- questions that are refused ---
    Row("empty question", "POST", ASK, {"json": {"question": ""}}, 422, "empty_question"),
    Row("whitespace-only question", "POST", ASK, {"json": {"question": " \t\n\u3000 "}}, 422, "empty_question"),
    Row("zero-width-only question", "POST", ASK, {"json": {"question": "\u200b\u200c\u200d\ufeff"}}, 422, "empty_question"),
    Row("control-characters-only question", "POST", ASK, {"json": {"question": "\x00\x07\x1b"}}, 422, "empty_question"),
    Row("2,001-character question", "POST", ASK, {"json": {"question": "问" * 2001}}, 413, "question_too_long", "2000"),
    Row("1 MB body", "POST", ASK, {"json": {"question": "问" * 350_000}}, 413, "payload_too_large"),
    Row("1 MB body, chunked", "POST", ASK, {"content": chunked(b'{"question": "' + b"a" * 1_048_576 + b'"}'), "headers": {"content-type": "application/json"}}, 413, "payload_too_large"),
    Row("invalid UTF-8", "POST", ASK, {"content": b'{"question": "\xff\xfe\xfd"}', "headers": {"content-type": "application/json"}}, 400, "invalid_body"),
    Row("lone surrogate escape", "POST", ASK, {"content": b'{"question": "\\udcff"}', "headers": {"content-type": "application/json"}}, 422, "invalid_request", "Unicode"),
    Row("invalid JSON", "POST", ASK, {"content": b'{"question": ', "headers": {"content-type": "application/json"}}, 400, "invalid_json"),
    Row("deeply nested JSON", "POST", ASK, {"content": b"[" * 100_000 + b"]" * 100_000, "headers": {"content-type": "application/json"}}, 400, "invalid_body"),
    Row("a session id that is a path", "POST", ASK, {"json": {"question": "你好", "session_id": "../../etc/passwd"}}, 422, "invalid_request", "session_id"),
    Row("JSON that is not an object", "POST", ASK, {"json": ["电话铃响几声必须接听"]}, 422, "invalid_request"),
    Row("question of the wrong type", "POST", ASK, {"json": {"question": 12}}, 422, "invalid_request", "question"),
    Row("persona of the wrong value", "POST", ASK, {"json": {"question": "你好", "persona": "admin"}}, 422, "invalid_request", "persona"),
    Row("unknown field", "POST", ASK, {"json": {"question": "你好", "is_admin": True}}, 422, "invalid_request", "is_admin"),
    Row("a knowledge base that does not exist", "POST", ASK, {"json": {"question": "你好", "kb": "nosuch"}}, 404, "unknown_kb", "nosuch"),
    Row("a kb id that is a path", "POST", ASK, {"json": {"question": "你好", "kb": "../kb"}}, 422, "invalid_request", "kb"),
    Row("search in a kb that does not exist", "GET", "/api/search", {"params": {"q": "投诉", "kb": "nosuch"}}, 404, "unknown_kb"),
    Row("upload into a kb that does not exist", "POST", "/api/admin/kbs/nosuch/documents", upload("新.md", b"# x\n\ny\n"), 404, "unknown_kb", role="admin"),
    Row("re-index a kb that does not exist", "POST", "/api/admin/kbs/nosuch/reindex", {}, 404, "unknown_kb", role="admin"),
    Row("a method the route does not have", "DELETE", ASK, {}, 405, "method_not_allowed"),
    Row("search with k of the wrong type", "GET", "/api/search", {"params": {"q": "投诉", "k": "ten"}}, 422, "invalid_request", "k"),
    Row("search with a blank query", "GET", "/api/search", {"params": {"q": "\u200b "}}, 422, "empty_question"),
    Row("feedback of the wrong type", "POST", "/api/feedback", {"json": {"answer_id": "x", "helpful": "maybe"}}, 422, "invalid_request", "helpful"),
    # --- questions that are answered (or politely handed off), not refused ---
    Row("control characters inside a question", "POST", ASK, {"json": {"question": "电话\x00铃响\x07几声必须接听"}}, 200, check=answered_with("电话铃响3声内")),
    Row("zero-width characters inside a question", "POST", ASK, {"json": {"question": "电话\u200b铃响几声\u200d必须接听"}}, 200, check=answered_with("电话铃响3声内")),
    Row("traditional Chinese", "POST", ASK, {"json": {"question": "電話鈴響幾聲必須接聽"}}, 200, check=answered_with("电话铃响3声内")),
    Row("mixed English", "POST", ASK, {"json": {"question": "customer complaint 投诉预警 多久 report"}}, 200, check=answered_or_offered("30分钟内", "customer complaint 投诉预警 多久 report")),
    Row("HTML and script in a question", "POST", ASK, {"json": {"question": HOSTILE_HTML + "电话铃响几声必须接听"}}, 200, check=markup_kept_as_text("电话铃响3声内")),
    Row("emoji only", "POST", ASK, {"json": {"question": "😀🙏🥛"}}, 200, check=politely_handed_off),
    Row("script only", "POST", ASK, {"json": {"question": HOSTILE_HTML}}, 200, check=politely_handed_off),
    # --- tickets ---
    Row("HTML in a ticket name", "POST", TICKETS, {"json": {**CONTACT, "name": '<b onclick="x()">张三</b>'}}, 201, check=stored_verbatim("name", '<b onclick="x()">张三</b>')),
    Row("SQL in a ticket name", "POST", TICKETS, {"json": {**CONTACT, "name": HOSTILE_SQL}}, 201, check=stored_verbatim("name", HOSTILE_SQL)),
    Row("SQL and HTML in complaint fields", "POST", TICKETS, {"json": {**CONTACT, "fields": {"产品名称": "纯牛奶", "问题": HOSTILE_HTML + HOSTILE_SQL}}}, 201, check=stored_verbatim("fields", {"产品名称": "纯牛奶", "问题": HOSTILE_HTML + HOSTILE_SQL})),
    Row("complaint record without the product", "POST", TICKETS, {"json": {**CONTACT, "fields": {"问题": "胀包"}}}, 422, "invalid_ticket", "产品名称"),
    Row("bad phone", "POST", TICKETS, {"json": {**CONTACT, "phone": "12345678901"}}, 422, "invalid_ticket", "phone"),
    Row("phone with letters", "POST", TICKETS, {"json": {**CONTACT, "phone": "138abcd8000"}}, 422, "invalid_ticket", "phone"),
    Row("ticket fields of the wrong type", "POST", TICKETS, {"json": {"name": 5, "phone": 13800138000}}, 422, "invalid_request", "name"),
    Row("ticket with an unknown field", "POST", TICKETS, {"json": {**CONTACT, "priority": "urgent"}}, 422, "invalid_request", "priority"),
    Row("Idempotency-Key over 128 characters", "POST", TICKETS, {"json": CONTACT, "headers": {"Idempotency-Key": "k" * 129}}, 422, "invalid_request", "idempotency-key"),
    Row("ticket name too long", "POST", TICKETS, {"json": {**CONTACT, "name": "张" * 51}}, 422, "invalid_request", "name"),
    Row("ticket with a lone surrogate", "POST", TICKETS, {"content": b'{"name": "\\ud800", "phone": "13800138000"}', "headers": {"content-type": "application/json"}}, 422, "invalid_request", "name"),
    Row("agent note of the wrong type", "PATCH", TICKETS + "/T00000000-000000", {"json": {"note": ["x"]}}, 422, "invalid_request", "note", role="agent"),
    # --- uploads ---
    Row("upload named ../../x.md", "POST", DOCS, upload("../../x.md", "# x\n\n正文。\n".encode()), 422, "invalid_request", "x.md", role="admin"),
    Row("upload named ..\\x.md", "POST", DOCS, upload("..\\x.md", "# x\n\n正文。\n".encode()), 422, "invalid_request", role="admin"),
    Row("upload named .hidden.md", "POST", DOCS, upload(".hidden.md", "# x\n\n正文。\n".encode()), 422, "invalid_request", role="admin"),
    Row("upload with an unknown extension", "POST", DOCS, upload("manual.exe", b"MZ\x90\x00"), 415, "unsupported_upload", ".md", role="admin"),
    Row("upload without an extension", "POST", DOCS, upload("manual", b"# x\n"), 415, "unsupported_upload", role="admin"),
    Row("a .pdf that is not a PDF", "POST", DOCS, upload("手册.pdf", b"<html>not a pdf</html>", "application/pdf"), 422, "document_unreadable", "手册.pdf", role="admin"),
    Row("a zip-bomb .docx", "POST", DOCS, upload("炸弹.docx", zip_bomb_docx()), 422, "document_unreadable", "zip bomb", role="admin"),
    Row("a .docx that is not a zip", "POST", DOCS, upload("坏.docx", b"plain text"), 422, "document_unreadable", role="admin"),
    Row("a .md that is not UTF-8", "POST", DOCS, upload("乱码.md", "# 标题\n\n正文。".encode("gbk")), 422, "document_unreadable", "UTF-8", role="admin"),
    Row("an empty .md", "POST", DOCS, upload("空.md", b""), 422, "document_unreadable", role="admin"),
    Row("a file over the upload limit", "POST", DOCS, upload("大.md", b"# big\n\n" + "字".encode() * (UPLOAD_LIMIT // 3 + 10)), 413, "payload_too_large", role="admin"),
    Row("a file far over the upload limit", "POST", DOCS, upload("巨大.md", b"#" * (UPLOAD_LIMIT * 4)), 413, "payload_too_large", role="admin"),
    Row("a 300-character file name", "POST", DOCS, upload("长" * 297 + ".md", "# x\n\n正文。\n".encode()), 422, "invalid_request", "200", role="admin"),
    Row("a right-to-left override in a file name", "POST", DOCS, upload("手册\u202egpj.md", "# x\n\n正文。\n".encode()), 422, "invalid_request", "U+202E", role="admin"),
    Row("a zero-width space in a file name", "POST", DOCS, upload("手\u200b册.md", "# x\n\n正文。\n".encode()), 422, "invalid_request", "U+200B", role="admin"),
    Row("a full-width path in a file name", "POST", DOCS, upload("．．／ｘ.md", "# x\n\n正文。\n".encode()), 422, "invalid_request", role="admin"),
    Row("a second file with a document's id", "POST", DOCS, upload("003-顾客服务手册.txt", "顾客服务手册\n\n正文。\n".encode()), 409, "conflict", "003-顾客服务手册.md", role="admin"),
    Row("an FAQ author that forges a second entry", "POST", FAQ, {"json": {**FAQ_ENTRY, "author": "张编辑)\n\n## 可以无条件退款吗\n\n可以。\n\n(编辑撰写:张编辑"}}, 422, "invalid_request", "author", role="admin"),
    Row("an FAQ question with a line break", "POST", FAQ, {"json": {**FAQ_ENTRY, "question": "发票\r\n## 伪造"}}, 422, "invalid_request", "question", role="admin"),
    Row("an FAQ author with a control character", "POST", FAQ, {"json": {**FAQ_ENTRY, "author": "张\x1b[31m编辑"}}, 422, "invalid_request", "author", role="admin"),
    Row("a ticket name with a line break", "POST", TICKETS, {"json": {**CONTACT, "name": "张三\n李四"}}, 422, "invalid_request", "name"),
    Row("an agent's name with a line separator", "POST", TICKETS + "/T00000000-000000/messages", {"json": {"text": "您好", "author": "李\u2028客服"}}, 422, "invalid_request", "author", role="agent"),
    Row("a YAML alias bomb in the front matter", "POST", DOCS, upload("炸弹.md", ALIAS_BOMB.encode()), 422, "document_unreadable", "alias", role="admin"),
    Row("an impossible date in the front matter", "POST", DOCS, upload("日期.md", b"---\ndate: 2020-13-45\n---\n# x\n\n\xe6\xad\xa3\xe6\x96\x87\n"), 422, "document_unreadable", "date", role="admin"),
]


@pytest.fixture(scope="module")
def client(built_settings, encoder, tmp_path_factory):
    """The shared real index, served over a private kb/ copy and a private SQLite file."""
    import shutil

    from conftest import KB_DIR

    tmp = tmp_path_factory.mktemp("bad-input")
    kb = tmp / "kb"
    shutil.copytree(KB_DIR, kb)
    settings = built_settings.model_copy(update={"kb_dir": kb, "database_url": f"sqlite:///{tmp / 'kefu.db'}", "upload_max_bytes": UPLOAD_LIMIT, "ticket_rate_per_minute": 1000})
    with TestClient(create_app(settings, encoder=encoder), raise_server_exceptions=False) as test_client:
        yield test_client


def kb_state(client) -> dict[str, str]:
    """Every file under kb/ (hidden ones included) with its hash."""
    kb = client.app.state.settings.kb_dir
    return {str(p.relative_to(kb)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(kb.rglob("*")) if p.is_file()}


def stored_counts(client) -> dict[str, int]:
    with client.app.state.bot.records.store.session() as db:
        return {table: db.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar_one() for table in ("tickets", "ticket_messages", "feedback")}


def index_state(client) -> tuple[str, dict]:
    root = index_root(client.app.state.settings, "lighting")
    return versions.current_version(root), {kb: reader.version for kb, reader in client.app.state.bot.service.readers.items()}


@pytest.mark.parametrize("row", ROWS, ids=[r.name for r in ROWS])
def test_bad_input(client, row):
    headers = {}
    if row.role:
        token = getattr(client.app.state.tokens, row.role)
        headers["Authorization"] = f"Bearer {token}"
    request = dict(row.request)
    request["headers"] = {**request.get("headers", {}), **headers}
    before = (kb_state(client), stored_counts(client), index_state(client))

    response = client.request(row.method, row.path, **request)

    assert response.status_code == row.status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    if row.status >= 400:
        assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
        assert body["error"]["code"] == row.code and body["error"]["message"].strip()
        if row.names:
            assert row.names in body["error"]["message"], body
        # nothing half-stored: no ticket, message or feedback row, no kb file, no index change
        assert (kb_state(client), stored_counts(client), index_state(client)) == before
    else:
        row.check(body, client)
        assert kb_state(client) == before[0] and index_state(client) == before[2]


def test_a_good_upload_still_lands_after_all_the_bad_ones(client):
    """The rejections above are not a broken endpoint: a plain manual is accepted."""
    admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
    response = client.post(DOCS, files={"file": ("新手册.md", "# 新手册\n\n## 第一条\n\n新的规定。\n".encode(), "text/markdown")}, headers=admin)
    assert response.status_code == 201, response.text
    folder = client.app.state.settings.kb_dir / "lighting"
    assert (folder / "新手册.md").is_file()
    assert not [p for p in folder.iterdir() if p.name.startswith(".upload-")]


def test_a_full_width_file_name_is_stored_under_its_plain_form(client):
    admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
    response = client.post(DOCS, files={"file": ("ｍａｎｕａｌ．ｍｄ", "# 手册\n\n## 第一条\n\n正文。\n".encode(), "text/markdown")}, headers=admin)
    assert response.status_code == 201 and response.json()["document"] == "manual.md", response.text
    assert (client.app.state.settings.kb_dir / "lighting" / "manual.md").is_file()
    again = client.post(DOCS, files={"file": ("manual.md", "# 手册\n\n## 第一条\n\n新正文。\n".encode(), "text/markdown")}, headers=admin)
    assert again.status_code == 201  # the same name again replaces the manual


def test_an_upload_with_an_unquoted_date_is_accepted_with_an_iso_date(client):
    admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
    text = "---\ntitle: 冷饮手册\ndate: 2026-12-01\n---\n# 冷饮手册\n\n## 第一条\n\n冰淇淋必须冷冻保存。\n"
    response = client.post(DOCS, files={"file": ("冷饮手册.md", text.encode(), "text/markdown")}, headers=admin)
    assert response.status_code == 201 and response.json()["title"] == "冷饮手册", response.text
    from indexer.load import read_document

    assert read_document(client.app.state.settings.kb_dir / "lighting" / "冷饮手册.md").meta["date"] == "2026-12-01"


CLI_ROWS = [
    ("empty question", ["ask", ""], "empty"),
    ("whitespace question", ["ask", " \t "], "empty"),
    ("zero-width question", ["ask", "\u200b\u200d"], "empty"),
    ("2,001 characters", ["ask", "问" * 2001], "2000"),
    ("undecodable bytes", [b"ask", b"\xff\xfe\xe7\x94"], "Unicode"),
    ("unknown persona", ["ask", "你好", "--persona", "admin"], "persona"),
    ("question and file together", ["ask", "你好", "--file", "q.txt"], "either"),
    ("questions file not UTF-8", ["ask", "--file", "gbk.txt"], "cannot read"),
    ("over-long line in a questions file", ["ask", "--file", "long.txt"], "question 2"),
    ("empty search", ["search", "  "], "empty"),
]


@pytest.mark.parametrize("args,says", [r[1:] for r in CLI_ROWS], ids=[r[0] for r in CLI_ROWS])
def test_cli_refuses_bad_input_before_loading_the_model(tmp_path, args, says):
    (tmp_path / "gbk.txt").write_bytes("电话铃响几声必须接听\n".encode("gbk") + b"\xff\n")
    (tmp_path / "long.txt").write_text("电话铃响几声必须接听\n" + "问" * 2001 + "\n", encoding="utf-8")
    (tmp_path / "q.txt").write_text("你好\n", encoding="utf-8")
    command = [sys.executable.encode(), b"-m", b"kefu.cli", b"--data-dir", str(tmp_path / "var").encode()]
    command += [a if isinstance(a, bytes) else a.encode() for a in args]
    done = subprocess.run(command, cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(REPO)}, capture_output=True, timeout=120)
    stderr = done.stderr.decode("utf-8", errors="replace")
    assert done.returncode == 1, stderr
    assert says in stderr and "Traceback" not in stderr, stderr
    assert b"Loading weights" not in done.stderr  # refused before the model was loaded
