"""Re-index while 20 clients query: no failed request, and answers switch to the new version
atomically (once a client has seen the new version it never sees the old one again)."""

import threading
import time

from fastapi.testclient import TestClient

from bot.app import create_app
from indexer.build import build_index

from conftest import SMALL, make_settings, make_small_kb

CLIENTS = 20
NEW_DOC = "新增"


def test_reindex_while_twenty_clients_query(tmp_path, encoder):
    kb = make_small_kb(tmp_path / "kb")  # two manuals keep the builds short; the quality gate has its own tests
    settings = make_settings(tmp_path, kb_dir=kb.parent, ask_rate_per_minute=100_000)
    first = build_index(settings, SMALL, encoder=encoder).version
    (kb / f"{NEW_DOC}.md").write_text("# 冷饮须知\n\n## 第一条\n\n冰淇淋必须在零下十八度冷冻保存。\n", encoding="utf-8")
    with TestClient(create_app(settings, encoder=encoder)) as client:
        admin = {"Authorization": f"Bearer {client.app.state.tokens.admin}"}
        statuses: list[int] = []
        seen: list[list[str]] = [[] for _ in range(CLIENTS)]  # top document of each answer, per client
        stop = threading.Event()

        def query(worker: int):
            n = 0
            while not stop.is_set():
                if n % 2:
                    response = client.get("/api/search", params={"q": "冰淇淋怎么保存", "k": 1})
                    results = response.json().get("results") if response.status_code == 200 else None
                    top = results[0]["doc"] if results else "none"  # the old version knows nothing of 冰淇淋: no result
                else:
                    response = client.post("/api/ask", json={"question": "冰淇淋要在多少度冷冻保存", "persona": "agent"})
                    citations = response.json().get("citations") if response.status_code == 200 else None
                    # a handoff cites nothing, so it cannot tell which version answered
                    top = citations[0]["doc"] if citations else None
                statuses.append(response.status_code)
                if top is not None:
                    seen[worker].append(top)
                n += 1
                time.sleep(0.02)  # pacing, so 20 clients leave the re-index some CPU on a small machine

        workers = [threading.Thread(target=query, args=(w,)) for w in range(CLIENTS)]
        for worker in workers:
            worker.start()
        reindex = f"/api/admin/kbs/{SMALL}/reindex"
        assert client.post(reindex, params={"force": True}, headers=admin).status_code == 202
        assert client.post(reindex, params={"force": True}, headers=admin).status_code == 409  # one build at a time
        assert client.post(f"/api/admin/kbs/{SMALL}/rollback", headers=admin).status_code == 409  # at once, not after the build
        status = client.app.state.bot.reindexer.wait(SMALL, timeout=600)
        after_swap = [len(s) for s in seen]
        deadline = time.monotonic() + 120  # a bound on waiting, not an assertion on speed
        while any(len(s) < n + 2 for s, n in zip(seen, after_swap)) and all(w.is_alive() for w in workers) and time.monotonic() < deadline:
            time.sleep(0.05)  # every client queries the new version at least twice
        stop.set()
        for worker in workers:
            worker.join()
        assert status["state"] == "done" and status["version"] > first, status
        assert statuses and set(statuses) == {200}, sorted(set(statuses))
        for history in seen:
            new = [top == NEW_DOC for top in history]
            switched = new.index(True) if True in new else len(new)
            assert all(new[switched:]), history  # never back to the old version once switched
            assert new[-1], history
        assert any(not history[0] == NEW_DOC for history in seen)  # the old version was served meanwhile
        top = client.get("/api/search", params={"q": "冰淇淋怎么保存", "k": 1}).json()["results"][0]
        assert top["doc"] == NEW_DOC and "零下十八度" in top["text"]
        assert status["changes"][NEW_DOC]["added"] == 1
