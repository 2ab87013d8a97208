"""Read the files in kb/ into documents. Every format goes through the same normaliser."""

import hashlib
from dataclasses import dataclass
from pathlib import Path

from indexer.clean import clean_capture
from indexer.errors import DocumentUnreadable
from indexer.markdown import parse_markdown
from indexer.structure import to_markdown
from indexer.textnorm import normalize_text

SUPPORTED_SUFFIXES = (".md", ".txt")


@dataclass(frozen=True)
class KbDocument:
    doc_id: str  # the file's stem: stable while the file keeps its name
    path: Path
    title: str
    meta: dict
    markdown: str  # chunk offsets point into this text
    sha256: str


def list_kb_files(kb_dir: Path) -> list[Path]:
    if not kb_dir.is_dir():
        raise DocumentUnreadable(f"{kb_dir}: 知识库目录不存在 / knowledge-base folder does not exist")
    return sorted(
        p for p in kb_dir.iterdir()
        if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.startswith((".", "~"))
    )


def _decode(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DocumentUnreadable(f"{path.name}: 不是 UTF-8 文本 / not UTF-8 text ({exc})") from exc


def markdown_from_text(title: str, text: str) -> str:
    """Plain text from any format to kb Markdown, through the capture cleaner and outliner."""
    _, paragraphs = clean_capture(f"{title}\n\n{text}")
    return to_markdown(title, paragraphs)


def read_document(path: Path) -> KbDocument:
    data = path.read_bytes()
    suffix = path.suffix.lower()
    if suffix == ".md":
        markdown = normalize_text(_decode(path, data))
    elif suffix == ".txt":
        markdown = markdown_from_text(path.stem, _decode(path, data))
    else:
        raise DocumentUnreadable(
            f"{path.name}: 不支持的文件类型 / unsupported file type {suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    parsed = parse_markdown(markdown, path.name)
    title = str(parsed.meta.get("title") or path.stem)
    if not parsed.body.strip():
        raise DocumentUnreadable(f"{path.name}: 没有正文 / no text to index")
    return KbDocument(path.stem, path, title, parsed.meta, markdown, hashlib.sha256(data).hexdigest())
