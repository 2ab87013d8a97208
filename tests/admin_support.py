"""What the editors' API tests share: the real app on a private copy of kb/ and of the session's
built index (so a test may upload, delete, edit and roll back), with the admin token."""

import shutil
from contextlib import contextmanager

from fastapi.testclient import TestClient

from bot.app import create_app

from conftest import KB_DIR
from web_support import server_settings


@contextmanager
def editor_client(built_settings, encoder, tmp_path, **overrides):
    """A TestClient (lifespan run) whose requests carry the admin token; its kb dir is tmp_path/kb."""
    shutil.copytree(KB_DIR, tmp_path / "kb")
    settings = server_settings(built_settings, tmp_path, kb_dir=tmp_path / "kb").model_copy(update=overrides)
    with TestClient(create_app(settings, encoder=encoder)) as client:
        client.headers["Authorization"] = f"Bearer {client.app.state.tokens.admin}"
        yield client


def kb_folder(client, kb: str):
    return client.app.state.settings.kb_dir / kb


def reindexed(client, kb: str, force: bool = True) -> dict:
    """Re-index `kb` through the API and wait for it; the final status."""
    started = client.post(f"/api/admin/kbs/{kb}/reindex", params={"force": force})
    assert started.status_code == 202, started.text
    status = client.app.state.bot.reindexer.wait(kb, timeout=300)
    assert status["state"] == "done", status
    return client.get(f"/api/admin/kbs/{kb}/reindex").json()


def error_of(response, status: int, code: str) -> str:
    """The response's message, after checking it is the one error shape with this status and code."""
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert body["error"]["code"] == code, body
    return body["error"]["message"]
