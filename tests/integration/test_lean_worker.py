"""A served app whose query model is already exported answers without importing torch,
transformers or sentence-transformers (~490 MB of a worker); an editor's re-index loads them then,
and still works. In a process of its own: the test session has torch loaded."""

import json
import os
import subprocess
import sys

from indexer.build import build_index

from conftest import REPO, SHARED_CACHE, SMALL, make_settings, make_small_kb

HEAVY = ("torch", "transformers", "sentence_transformers")
NEW_MANUAL = "# 空调清洗须知\n\n## 滤网\n\n空调滤网每两周清洗一次,用清水冲洗,阴干后再装回。\n"
SERVER = f"""
import json, sys
from fastapi.testclient import TestClient
from bot.app import create_app
from kefu.settings import load_settings

def heavy():
    return [name for name in {HEAVY!r} if name in sys.modules]

settings = load_settings()
report = {{}}
with TestClient(create_app(settings)) as client:
    asked = client.post("/api/ask", json={{"question": "灯具坏了保修多久", "kb": "{SMALL}"}})
    report["ask"] = [asked.status_code, asked.json().get("band")]
    report["heavy_after_ask"] = heavy()
    (settings.kb_dir / "{SMALL}" / "空调清洗.md").write_text(sys.stdin.read(), encoding="utf-8")
    admin = {{"Authorization": "Bearer " + client.app.state.tokens.admin}}
    report["reindex"] = client.post("/api/admin/kbs/{SMALL}/reindex", params={{"force": True}}, headers=admin).status_code
    report["status"] = client.app.state.bot.reindexer.wait("{SMALL}", timeout=600)["state"]
    found = client.get("/api/search", params={{"q": "空调滤网多久清洗一次", "kb": "{SMALL}", "k": 1}}).json()
    report["found"] = [hit["doc"] for hit in found.get("results", [])]
    report["heavy_after_reindex"] = heavy()
print(json.dumps(report))
"""


def test_a_served_app_answers_without_torch_and_loads_it_for_a_reindex(tmp_path, encoder, queries):
    """`queries` made the session's ONNX export (KEFU_ONNX_DIR), as a deployment's first start does."""
    kb = make_small_kb(tmp_path / "kb")
    settings = make_settings(tmp_path, kb_dir=kb.parent)
    build_index(settings, SMALL, encoder=encoder)
    env = {**os.environ, "KEFU_DATA_DIR": str(settings.data_dir), "KEFU_KB_DIR": str(kb.parent), "KEFU_CACHE_DIR": str(SHARED_CACHE)}
    run = subprocess.run([sys.executable, "-c", SERVER], cwd=REPO, env=env, input=NEW_MANUAL, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout.strip().splitlines()[-1])
    assert report["ask"][0] == 200, report
    assert report["heavy_after_ask"] == [], report
    assert (report["reindex"], report["status"]) == (202, "done"), report
    assert report["found"] == ["空调清洗"], report  # the new manual, embedded by the model loaded for it
    assert "torch" in report["heavy_after_reindex"], report
