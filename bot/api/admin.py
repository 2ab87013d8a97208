"""Editor endpoints for knowledge bases and their index (`/api/admin/…`): list, create and edit
kbs; re-index, progress, versions, their differences, roll back; the index being served."""

from typing import Annotated

from fastapi import APIRouter, Body, Path

from bot.api.admin_schemas import VERSION_ID, AdminKbOut, KbCreate, KbFacts, RollbackIn, RollbackOut, VersionDiff, VersionList
from bot.api.deps import AdminDep, BotDep, KbDep, ReindexerDep, SettingsDep
from bot.api.schemas import IndexInfo, ReindexStatus
from bot.assemble import Bot
from indexer.version_diff import diff_versions, list_kept
from kefu.kbs import KnowledgeBase, create_kb, update_kb
from kefu.settings import index_root

router = APIRouter(prefix="/api/admin", dependencies=[AdminDep])
VersionPath = Annotated[str, Path(pattern=VERSION_ID, description="An index version id (GET …/versions).")]


def admin_view(kb: KnowledgeBase, bot: Bot) -> dict:
    reader = bot.service.readers.get(kb.id)
    return {**kb.public(), "version": reader.version if reader else None}


def serve_kb(bot: Bot, kb: KnowledgeBase) -> None:
    """The service's kbs with this one new or changed: the widget's greeting follows at once."""
    bot.service.use_kbs({**bot.service.kbs, kb.id: kb})


@router.get("/kbs", response_model=list[AdminKbOut], summary="Every knowledge base with the index it is served from")
def list_knowledge_bases(bot: BotDep) -> list[dict]:
    return [admin_view(kb, bot) for kb in bot.service.kbs.values()]


@router.post("/kbs", status_code=201, response_model=AdminKbOut, summary="Create an empty knowledge base (kb/<id>/kb.yaml); 409 if it exists")
def create_knowledge_base(body: KbCreate, bot: BotDep, settings: SettingsDep) -> dict:
    kb = create_kb(settings, body.id, body.name, body.organization, body.greeting, body.hotline, tuple(body.quick_questions))
    serve_kb(bot, kb)
    return admin_view(kb, bot)


@router.put("/kbs/{kb}", response_model=AdminKbOut, summary="Replace a knowledge base's public facts (its kb.yaml)")
def edit_knowledge_base(kb: KbDep, body: KbFacts, bot: BotDep, settings: SettingsDep) -> dict:
    changed = update_kb(settings, kb.id, body.name, body.organization, body.greeting, body.hotline, tuple(body.quick_questions))
    serve_kb(bot, changed)
    return admin_view(changed, bot)


@router.post("/kbs/{kb}/reindex", status_code=202, response_model=ReindexStatus, summary="Re-index the kb in the background; answers switch atomically")
def reindex(kb: KbDep, reindexer: ReindexerDep, force: bool = False) -> dict:
    """The kb's gold dev questions run against the new version first; a Recall@5 drop beyond
    the allowed one fails the re-index (status shows the regressed questions) unless force."""
    return reindexer.start(kb.id, force)


@router.get("/kbs/{kb}/reindex", response_model=ReindexStatus, summary="Progress (stage, done/total) and outcome of the kb's last re-index")
def reindex_status(kb: KbDep, reindexer: ReindexerDep) -> dict:
    return reindexer.status(kb.id)


@router.post("/kbs/{kb}/rollback", response_model=RollbackOut, summary="Make a kept index version current (default: the previous), with the documents it was built from")
def rollback(kb: KbDep, reindexer: ReindexerDep, body: Annotated[RollbackIn | None, Body()] = None) -> dict:
    return reindexer.rollback(kb.id, body.version if body else None)


@router.get("/kbs/{kb}/index", response_model=IndexInfo, summary="The kb's index being served")
def index_info(kb: KbDep, bot: BotDep) -> dict:
    manifest = bot.service.readers_for(kb.id)[0].index.manifest
    return {
        "kb": kb.id, "version": manifest["version"], "built_at": manifest["built_at"], "docs": manifest["counts"]["docs"],
        "chunks": manifest["counts"]["chunks"], "questions": manifest["counts"].get("questions", 0),
        "model": manifest["model"], "dimension": manifest["dimension"],
    }


@router.get("/kbs/{kb}/versions", response_model=VersionList, summary="The kb's kept index versions, newest first: built at, counts, model, quality gate")
def versions(kb: KbDep, settings: SettingsDep) -> dict:
    return {"kb": kb.id, **list_kept(index_root(settings, kb.id))}


@router.get("/kbs/{kb}/versions/{a}/diff/{b}", response_model=VersionDiff, summary="What changed from version a to version b: passages and questions")
def version_diff(kb: KbDep, a: VersionPath, b: VersionPath, settings: SettingsDep) -> dict:
    return {"kb": kb.id, **diff_versions(index_root(settings, kb.id), a, b)}
