"""Editor endpoints: upload a manual, re-index, roll back, index facts, unanswered questions."""

import os
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, UploadFile

from bot.api.deps import AdminDep, BotDep, RecordsDep, ReindexerDep, ServiceDep, SettingsDep
from bot.api.schemas import FaqEntry, IndexInfo, ReindexStatus
from bot.errors import PayloadTooLarge
from bot.unanswered import group_questions
from bot.upload_name import safe_upload_name
from indexer.faq import append_faq
from indexer.load import read_document

router = APIRouter(prefix="/api/admin", dependencies=[AdminDep])


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"文件超过 {limit} 字节 / the file is larger than {limit} bytes")
    return data


@router.post("/documents", status_code=201, summary="Upload a manual into kb/ (parsed first; the index changes on re-index)")
async def upload_document(file: UploadFile, settings: SettingsDep) -> dict:
    kb_dir = settings.kb_dir
    name = safe_upload_name(file.filename, kb_dir)
    data = await read_limited(file, settings.upload_max_bytes)
    kb_dir.mkdir(parents=True, exist_ok=True)
    # Staged under its own name in a hidden folder (never indexed), so errors name the file
    # the editor uploaded; moved into kb/ only once it parses.
    staging = Path(tempfile.mkdtemp(dir=kb_dir, prefix=".upload-"))
    try:
        staged = staging / name
        staged.write_bytes(data)
        document = read_document(staged)  # refuses what cannot be parsed, naming the problem
        os.replace(staged, kb_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return {"document": name, "title": document.title, "bytes": len(data)}


@router.post("/reindex", status_code=202, response_model=ReindexStatus, summary="Re-index in the background; answers switch atomically")
def reindex(reindexer: ReindexerDep, force: bool = False) -> dict:
    """The gold dev half runs against the new version first; a Recall@5 drop beyond the
    allowed one fails the re-index (status shows the regressed questions) unless force."""
    return reindexer.start(force)


@router.get("/reindex", response_model=ReindexStatus, summary="Progress and outcome of the last re-index")
def reindex_status(reindexer: ReindexerDep) -> dict:
    return reindexer.status


@router.post("/rollback", summary="Make the previous index version current")
def rollback(reindexer: ReindexerDep) -> dict:
    return {"version": reindexer.rollback()}


@router.get("/index", response_model=IndexInfo, summary="The index being served")
def index_info(service: ServiceDep) -> dict:
    manifest = service.reader.searcher.index.manifest
    return {
        "version": manifest["version"], "built_at": manifest["built_at"], "docs": manifest["counts"]["docs"],
        "chunks": manifest["counts"]["chunks"], "model": manifest["model"], "dimension": manifest["dimension"],
    }


@router.get("/unanswered", summary="Questions that ended in low confidence or handoff, grouped, with counts")
def unanswered(bot: BotDep, records: RecordsDep) -> list[dict]:
    questions = [row["question"] for row in records.unanswered()]
    return group_questions(questions, bot.encoder)


@router.post("/faq", status_code=201, summary="Save an editor-written answer to kb/faq.md (re-index to serve it)")
def add_faq(body: FaqEntry, settings: SettingsDep) -> dict:
    path = append_faq(settings.kb_dir, body.question, body.answer, body.author)
    return {"question": body.question, "file": path.name}
