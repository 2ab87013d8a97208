"""The naive peer (bench.peer) served over HTTP the way its user would serve it: a minimal FastAPI
app, one sync `GET /api/search?q=&k=&kb=` giving the top passages of one knowledge base, or of every
one taken as one corpus without `kb` (as kefu's `/api/search`), under the same uvicorn as kefu.
Its user would build one pipeline per company, and one over all of them for the console.

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
        model = load_default_model(str(resolve_model_path(settings.embed_model)))
        state["every"] = NaivePipeline(indexes, model)
        state["by_kb"] = {index.kb: NaivePipeline(index, model) for index in indexes}
        yield

    app = FastAPI(title="naive peer", lifespan=lifespan)

    @app.get("/readyz")
    def readyz() -> dict:
        return {"status": "ready"}

    @app.get("/api/search")
    def search(q: str = Query(max_length=2000), k: int = Query(5, ge=1, le=50), kb: str | None = None) -> dict:
        peer = state["by_kb"][kb] if kb else state["every"]
        chunks = peer.chunks
        rows = peer.search(q, k)
        return {"query": q, "results": [{"id": chunks[row].id, "doc": chunks[row].doc, "text": chunks[row].text} for row in rows]}

    return app
