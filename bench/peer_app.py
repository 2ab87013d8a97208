"""The naive peer (bench.peer) served over HTTP the way its user would serve it: a minimal FastAPI
app, one sync `GET /api/search?q=&k=` giving the top passages of every knowledge base together
(as kefu's `/api/search` without `kb`), under the same uvicorn as kefu.

`uvicorn bench.peer_app:create_peer_app --factory` over a data dir with a built index
(KEFU_DATA_DIR); the bench starts it on a free loopback port and stops it.
"""

from contextlib import asynccontextmanager

from fastapi import FastAPI, Query

from bench.peer import NaivePipeline, load_default_model
from bot.retrieve.index import load_current
from kefu.kbs import list_kbs
from kefu.model import resolve_model_path
from kefu.settings import load_settings


def create_peer_app() -> FastAPI:
    state: dict = {}

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        settings = load_settings()
        indexes = [load_current(settings, kb.id) for kb in list_kbs(settings)]
        state["peer"] = NaivePipeline(indexes, load_default_model(str(resolve_model_path(settings.embed_model))))
        yield

    app = FastAPI(title="naive peer", lifespan=lifespan)

    @app.get("/readyz")
    def readyz() -> dict:
        return {"status": "ready"}

    @app.get("/api/search")
    def search(q: str = Query(max_length=2000), k: int = Query(5, ge=1, le=50)) -> dict:
        chunks = state["peer"].chunks
        rows = state["peer"].search(q, k)
        return {"query": q, "results": [{"id": chunks[row].id, "doc": chunks[row].doc, "text": chunks[row].text} for row in rows]}

    return app
