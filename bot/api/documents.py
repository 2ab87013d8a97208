"""Editor endpoints for a knowledge base's documents and passages (`/api/admin/kbs/{kb}/…`):
list, preview, download, upload, replace and delete documents; list and search passages, and
write their associated questions into the kb file."""

from typing import Annotated

from fastapi import APIRouter, Path, Query, UploadFile
from fastapi.responses import FileResponse

from bot.api.admin_schemas import DeletedOut, DocumentDetail, DocumentOut, PassageOut, PassagePage, QuestionsIn, UploadOut
from bot.api.deps import AdminDep, FilesDep, KbDep, ServiceDep, SettingsDep
from bot.kb_files import deleted_view, document_view, passage_view, served_files, served_questions
from bot.personal_data import mask_personal
from bot.service import check_question
from bot.uploads import receive_upload
from indexer.kb_documents import edit_lock, find_document, set_questions

router = APIRouter(prefix="/api/admin", dependencies=[AdminDep])
DocPath = Annotated[str, Path(max_length=200, description="A document id (GET …/documents).")]
PassagePath = Annotated[str, Path(pattern=r"^[0-9a-f]{16}$", description="A passage id (GET …/passages).")]
PAGE, MAX_PAGE = 50, 200


@router.get("/kbs/{kb}/documents", response_model=list[DocumentOut], summary="The kb's documents: title, source, date, passages, last change, state against the served index")
def list_documents(kb: KbDep, files: FilesDep, service: ServiceDep) -> list[dict]:
    served = served_files(service.readers.get(kb.id))
    listed = [document_view(kb_file, served) for kb_file in files.files(kb)]
    present = {entry["file"] for entry in listed}
    return listed + [deleted_view(name) for name in sorted(served) if name not in present]


@router.post("/kbs/{kb}/documents", status_code=201, response_model=UploadOut, summary="Upload a manual (parsed and cut in a worker first; the index changes on re-index)")
def upload_document(kb: KbDep, file: UploadFile, settings: SettingsDep) -> dict:
    return receive_upload(settings, kb, file.filename, file.file)


@router.get("/kbs/{kb}/documents/{doc}", response_model=DocumentDetail, summary="One document with its text as the indexer reads it, for a preview")
def get_document(kb: KbDep, doc: DocPath, files: FilesDep, service: ServiceDep) -> dict:
    path = find_document(kb.folder, doc)
    kb_file = next(f for f in files.files(kb) if f.path == path)
    view = document_view(kb_file, served_files(service.readers.get(kb.id)))
    return {**view, "markdown": kb_file.document.markdown if kb_file.document else None}


@router.get("/kbs/{kb}/documents/{doc}/file", response_class=FileResponse, summary="Download the document's file as it is in the kb")
def download_document(kb: KbDep, doc: DocPath) -> FileResponse:
    path = find_document(kb.folder, doc)
    return FileResponse(path, filename=path.name, media_type="application/octet-stream")


@router.put("/kbs/{kb}/documents/{doc}", response_model=UploadOut, summary="Replace a document with an uploaded file (checked like an upload; it keeps the document id)")
def replace_document(kb: KbDep, doc: DocPath, file: UploadFile, settings: SettingsDep) -> dict:
    return receive_upload(settings, kb, file.filename, file.file, replacing=find_document(kb.folder, doc))


@router.delete("/kbs/{kb}/documents/{doc}", response_model=DeletedOut, summary="Delete a document from the kb (the next version no longer holds it; a rollback brings it back)")
def delete_document(kb: KbDep, doc: DocPath, settings: SettingsDep) -> dict:
    with edit_lock(settings, kb.id):
        path = find_document(kb.folder, doc)
        path.unlink()
    return {"document": path.name, "doc": path.stem}


@router.get("/kbs/{kb}/passages", response_model=PassagePage, summary="The kb's passages as kb/ cuts them now, with their questions; `q` searches the served index")
def list_passages(
    kb: KbDep, files: FilesDep, service: ServiceDep,
    doc: Annotated[str | None, Query(max_length=200)] = None,
    q: Annotated[str | None, Query(max_length=2000)] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = PAGE,
    offset: Annotated[int, Query(ge=0, le=10**6)] = 0,
) -> dict:
    reader = service.readers.get(kb.id)
    served = served_questions(reader)
    editable = {kb_file.doc: kb_file.path.suffix.lower() == ".md" for kb_file in files.files(kb)}
    passages = [p for p in files.passages(kb) if doc is None or p.doc == doc]
    scores: dict[str, float] = {}
    if q:
        # no empty-search floor: the question an editor links matched nothing, that is why it is here
        hits = service.search(check_question(q, service.settings.max_question_chars), min(offset + limit, MAX_PAGE), kb.id, floor=False)["results"]
        scores = {hit["id"]: hit["score"] for hit in hits}
        by_id = {p.id: p for p in passages}
        passages = [by_id[hit["id"]] for hit in hits if hit["id"] in by_id]
    page = passages[offset: offset + limit]
    following = offset + limit if offset + limit < len(passages) else None
    return {
        "passages": [passage_view(p, served, editable.get(p.doc, False), scores.get(p.id)) for p in page],
        "total": len(passages), "limit": limit, "offset": offset, "next_offset": following, "query": q,
    }


@router.put("/kbs/{kb}/passages/{passage}/questions", response_model=PassageOut, summary="Write a passage's associated questions into its kb file (masked; re-index to serve them)")
def put_questions(kb: KbDep, passage: PassagePath, body: QuestionsIn, files: FilesDep, service: ServiceDep, settings: SettingsDep) -> dict:
    kb_file, _ = files.find_passage(kb, passage)
    written = set_questions(settings, kb.id, kb_file.path, passage, [mask_personal(q) for q in body.questions])
    return passage_view(written, served_questions(service.readers.get(kb.id)), True)
