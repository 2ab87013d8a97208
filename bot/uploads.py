"""An editor's upload into a knowledge base: named safely (bot.upload_name), checked whole in a
worker process (bot.upload_worker), then moved into the kb's folder in one rename. A file that
fails any step never enters the kb; the next re-index makes the change served."""

import shutil
import tempfile
from pathlib import Path
from typing import BinaryIO

from bot.errors import PayloadTooLarge
from bot.upload_name import safe_upload_name
from bot.upload_worker import check_in_worker
from indexer.kb_documents import edit_lock, place_document
from kefu.kbs import KnowledgeBase
from kefu.settings import Settings


def read_limited(stream: BinaryIO, limit: int) -> bytes:
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"文件超过 {limit} 字节 / the file is larger than {limit} bytes")
    return data


def receive_upload(settings: Settings, kb: KnowledgeBase, filename: str | None, stream: BinaryIO, replacing: Path | None = None) -> dict:
    """The upload stored as a document of `kb` (replacing the document at `replacing`, if given)."""
    name = safe_upload_name(filename, kb.folder, replacing)
    data = read_limited(stream, settings.upload_max_bytes)
    kb.folder.mkdir(parents=True, exist_ok=True)
    # Staged under its own name in a hidden folder (never indexed), so errors name the file
    # the editor uploaded; moved into kb/ only once it parses and cuts.
    staging = Path(tempfile.mkdtemp(dir=kb.folder, prefix=".upload-"))
    try:
        staged = staging / name
        staged.write_bytes(data)
        checked = check_in_worker(staged, kb.id, settings)
        with edit_lock(settings, kb.id):
            place_document(kb.folder, name, staged, replacing)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    replaced = replacing.name if replacing is not None and replacing.name != name else None
    return {"document": name, "bytes": len(data), "replaced": replaced, **checked}
