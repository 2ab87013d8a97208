"""Re-index while clients query: no failed request, and answers switch to the new version."""

import threading

from fastapi.testclient import TestClient

from bot.app import create_app
from conftest import make_settings
from indexer.build import build_index


def test_reindex_while_clients_query(tmp_path, kb_copy, encoder):
    settings = make_settings(tmp_path, kb_dir=kb_copy)
    first = build_index(settings, encoder=encoder).version
    (kb_copy / "新增.md").write_text("# 冷饮须知\n\n## 第一条\n\n冰淇淋必须在零下十八度冷冻保存。\n", encoding="utf-8")
    with TestClient(create_app(settings, encoder=encoder)) as client:
        admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
        statuses, versions_seen, stop = [], set(), threading.Event()

        def hammer():
            while not stop.is_set():
                response = client.get("/api/search", params={"q": "冰淇淋怎么保存", "k": 1})
                statuses.append(response.status_code)
                if response.status_code == 200:
                    versions_seen.add(response.json()["results"][0]["doc"])

        workers = [threading.Thread(target=hammer) for _ in range(4)]
        for worker in workers:
            worker.start()
        assert client.post("/api/admin/reindex", headers=admin).status_code == 202
        assert client.post("/api/admin/reindex", headers=admin).status_code == 409  # one build at a time
        status = client.app.state.reindexer.wait(timeout=300)
        stop.set()
        for worker in workers:
            worker.join()
        assert status["state"] == "done" and status["version"] > first
        assert statuses and set(statuses) == {200}
        top = client.get("/api/search", params={"q": "冰淇淋怎么保存", "k": 1}).json()["results"][0]
        assert top["doc"] == "新增" and "零下十八度" in top["text"]
        assert status["changes"]["新增"]["added"] == 1
