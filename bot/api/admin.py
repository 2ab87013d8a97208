"""Editor endpoints, per knowledge base (`/api/admin/kbs/{kb}/…`): upload a manual, re-index,
roll back, index facts, unanswered questions, FAQ entries."""

import os
import shutil
import tempfile
from pathlib import Path

from fastapi import APIRouter, UploadFile

from bot.api.deps import AdminDep, BotDep, KbDep, RecordsDep, ReindexerDep, SettingsDep
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


@router.get("/kbs", summary="Every knowledge base with the index it is served from")
def list_knowledge_bases(bot: BotDep) -> list[dict]:
    readers = bot.service.readers
    return [
        {**kb.public(), "version": readers[kb.id].version if kb.id in readers else None}
        for kb in bot.service.kbs.values()
    ]


@router.post("/kbs/{kb}/documents", status_code=201, summary="Upload a manual into the kb's folder (parsed first; the index changes on re-index)")
async def upload_document(kb: KbDep, file: UploadFile, settings: SettingsDep) -> dict:
    kb_dir = kb.folder
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


@router.post("/kbs/{kb}/reindex", status_code=202, response_model=ReindexStatus, summary="Re-index the kb in the background; answers switch atomically")
def reindex(kb: KbDep, reindexer: ReindexerDep, force: bool = False) -> dict:
    """The kb's gold dev questions run against the new version first; a Recall@5 drop beyond
    the allowed one fails the re-index (status shows the regressed questions) unless force."""
    return reindexer.start(kb.id, force)


@router.get("/kbs/{kb}/reindex", response_model=ReindexStatus, summary="Progress and outcome of the kb's last re-index")
def reindex_status(kb: KbDep, reindexer: ReindexerDep) -> dict:
    return reindexer.status(kb.id)


@router.post("/kbs/{kb}/rollback", summary="Make the kb's previous index version current, with the documents it was built from")
def rollback(kb: KbDep, reindexer: ReindexerDep) -> dict:
    return reindexer.rollback(kb.id)


@router.get("/kbs/{kb}/index", response_model=IndexInfo, summary="The kb's index being served")
def index_info(kb: KbDep, bot: BotDep) -> dict:
    manifest = bot.service.readers_for(kb.id)[0].index.manifest
    return {
        "kb": kb.id, "version": manifest["version"], "built_at": manifest["built_at"], "docs": manifest["counts"]["docs"],
        "chunks": manifest["counts"]["chunks"], "questions": manifest["counts"].get("questions", 0),
        "model": manifest["model"], "dimension": manifest["dimension"],
    }


@router.get("/kbs/{kb}/unanswered", summary="The kb's questions that ended in low confidence or handoff, grouped, with counts")
def unanswered(kb: KbDep, bot: BotDep, records: RecordsDep) -> list[dict]:
    questions = [row["question"] for row in records.unanswered(kb.id)]
    return group_questions(questions, bot.encoder)


@router.post("/kbs/{kb}/faq", status_code=201, summary="Save an editor-written answer to the kb's faq.md (re-index to serve it)")
def add_faq(kb: KbDep, body: FaqEntry) -> dict:
    path = append_faq(kb.folder, body.question, body.answer, body.author)
    return {"kb": kb.id, "question": body.question, "file": path.name}
