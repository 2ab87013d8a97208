"""The name an uploaded manual is kept under in kb/, or a 4xx saying why it cannot be.

The name becomes a file in kb/ and its stem the document's id, quoted in every citation:
it must be a plain name that fits the file system, shows on screen as what it is, and names
no other document.
"""

import unicodedata
from pathlib import Path, PurePath

from bot.errors import Conflict, InvalidRequest, UnsupportedUpload
from indexer.load import SUPPORTED_SUFFIXES, list_kb_files

# File systems allow 255 bytes a name; staging and the editor's own copies need some room.
MAX_NAME_BYTES = 200
# Control, format (U+202E right-to-left override turns 手册gpj.md into 手册dm.jpg on screen,
# U+200B hides inside a name), private-use, unassigned and line-separator characters.
REFUSED_CATEGORIES = {"Cc", "Cf", "Co", "Cs", "Cn", "Zl", "Zp"}


def hidden_characters(name: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in name if unicodedata.category(c) in REFUSED_CATEGORIES]


def plain_name(filename: str | None) -> str:
    """NFKC first (ｍａｎｕａｌ．ｍｄ is manual.md), so that a full-width ／ or ．． is checked as
    the / or .. it becomes; then the bare name, refusing anything that could point outside kb/."""
    name = unicodedata.normalize("NFKC", filename or "").strip()
    if not name or name != PurePath(name).name or "\\" in name or name.startswith(".") or ".." in name:
        raise InvalidRequest(f"文件名无效 / invalid file name {filename!r}: give a plain name such as 手册.md")
    hidden = hidden_characters(name)
    if hidden:
        raise InvalidRequest(f"文件名含有不可见或改变文字方向的字符 / the file name holds invisible or direction-changing characters: {', '.join(hidden)}")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise InvalidRequest(f"文件名过长 / the file name is too long: at most {MAX_NAME_BYTES} bytes of UTF-8 (about {MAX_NAME_BYTES // 3} Chinese characters)")
    return name


def safe_upload_name(filename: str | None, kb_dir: Path, replacing: Path | None = None) -> str:
    """The name to keep the upload under in kb_dir: the same name again replaces that manual,
    another file with the same stem (dup.txt beside dup.md) would share its document id: 409.
    When `replacing` a document, the upload takes its id whatever the file was called
    (手册v2.md replacing 手册.docx is 手册.md)."""
    name = plain_name(filename)
    if Path(name).suffix.lower() not in SUPPORTED_SUFFIXES:
        raise UnsupportedUpload(f"{name}: 不支持的文件类型 / unsupported file type; use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if replacing is not None:
        name = replacing.stem + Path(name).suffix.lower()
    stem, replaced = Path(name).stem, replacing.name if replacing else None
    existing = [p.name for p in list_kb_files(kb_dir) if p.stem == stem and p.name not in (name, replaced)] if kb_dir.is_dir() else []
    if existing:
        raise Conflict(
            f"文档编号 {stem} 已被 {existing[0]} 使用,请改用该文件名上传以替换它,或换一个文件名 / "
            f"document id {stem} is taken by {existing[0]}: upload under that name to replace it, or rename the file"
        )
    return name
