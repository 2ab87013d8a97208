"""Editor endpoints of the loop from a missed question to an answer (`/api/admin/…`): the
unanswered questions grouped and the 没帮助 answers, personal data masked; an editor-written FAQ
entry; the hit test."""

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from bot.api.admin_schemas import FaqOut, FeedbackPage, HitTestIn, HitTestOut, UnansweredPage
from bot.api.deps import AdminDep, KbDep, LoopDep, RecordsDep, ServiceDep, SettingsDep
from bot.api.schemas import FaqEntry
from bot.hit_test import hit_test
from bot.personal_data import mask_personal
from bot.store.models import now_utc
from bot.unanswered import MAX_ROWS
from indexer.faq import FAQ_FILE
from indexer.kb_documents import add_faq_entry
from kefu.kbs import find_kb

router = APIRouter(prefix="/api/admin", dependencies=[AdminDep])
Days = Annotated[int, Query(ge=1, le=365, description="The window: questions of the last this many days.")]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=MAX_ROWS)]


@router.get("/kbs/{kb}/unanswered", response_model=UnansweredPage, summary="The kb's questions that ended in low confidence or handoff, grouped by meaning, with counts")
def unanswered(kb: KbDep, records: RecordsDep, loop: LoopDep, days: Days = 30, limit: Limit = 20, offset: Offset = 0) -> dict:
    """A question leaves the list once it is an associated question of the kb (linked to a
    passage, or an FAQ entry's) or when the served version answers it confidently."""
    rows = records.unanswered(kb.id, limit=MAX_ROWS + 1, since=now_utc() - timedelta(days=days))
    return {"days": days, **loop.unanswered(kb, rows, limit, offset)}


@router.get("/kbs/{kb}/feedback", response_model=FeedbackPage, summary="没帮助 answers of the kb: the question, the answer given and the comment")
def feedback(kb: KbDep, records: RecordsDep, loop: LoopDep, days: Days = 30, limit: Limit = 20, offset: Offset = 0) -> dict:
    rows = records.unhelpful(kb.id, now_utc() - timedelta(days=days), MAX_ROWS)
    return {"days": days, **loop.feedback(kb, rows, limit, offset)}


@router.post("/kbs/{kb}/faq", status_code=201, response_model=FaqOut, summary="Save an editor-written answer to the kb's faq.md (re-index to serve it)")
def add_faq(kb: KbDep, body: FaqEntry, settings: SettingsDep) -> dict:
    question = mask_personal(body.question)  # pre-filled from a customer's words: never into kb text unmasked
    passage = add_faq_entry(settings, kb.id, kb.folder, question, body.answer, body.author, [mask_personal(q) for q in body.questions])
    return {"kb": kb.id, "question": question, "file": FAQ_FILE, "passage": passage.id}


@router.post("/hit-test", response_model=HitTestOut, summary="Ask as a customer or agent would, and see how the bot decides (nothing recorded or counted)")
def hit_test_route(body: HitTestIn, service: ServiceDep, settings: SettingsDep) -> dict:
    find_kb(settings, body.kb)  # 404 for a kb that does not exist
    return hit_test(service, body.question, body.persona, body.kb)
