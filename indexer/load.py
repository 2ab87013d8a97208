"""Read the files in kb/ into documents. Every format goes through the same normaliser."""

import hashlib
import io
import re
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from indexer.clean import clean_capture
from indexer.markdown import parse_markdown, sections
from indexer.structure import to_markdown
from kefu.errors import DocumentTooComplex, DocumentUnreadable
from kefu.text.normalize import normalize_text

SUPPORTED_SUFFIXES = (".md", ".txt", ".docx", ".pdf", ".html", ".htm")
# A .docx is a zip: refuse one that would inflate absurdly before any parser opens it.
DOCX_MAX_INFLATED = 50 * 1024 * 1024
DOCX_MAX_RATIO = 100
_WORD_HEADING = re.compile(r"^(?:Heading|标题)\s*(\d)$", re.IGNORECASE)
# Reading tables inside tables costs n² to n³ (600 nested tables, 20 KB, took 15 s): a manual
# nests a table in a table now and then, never this deep. Elements nest far deeper in real pages.
MAX_TABLE_NESTING = 8
MAX_ELEMENT_NESTING = 256
# Elements whose end tag HTML lets a page leave out: never counted as open.
_VOID_OR_OPEN = {
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr",
    "p", "li", "dt", "dd", "tr", "td", "th", "thead", "tbody", "tfoot", "option", "optgroup", "colgroup", "caption", "rb", "rt", "rp",
}


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


def markdown_table(rows: list[list[str]]) -> list[str]:
    cells = [[normalize_text(c).replace("\n", " ").replace("|", "/").strip() for c in row] for row in rows if any(c.strip() for c in row)]
    if not cells:
        return []
    width = max(len(r) for r in cells)
    lines = ["| " + " | ".join(r + [""] * (width - len(r))) + " |" for r in cells]
    return [lines[0], "|" + "---|" * width] + lines[1:] + [""]


def check_zip_bomb(path: Path, data: bytes) -> None:
    try:
        infos = zipfile.ZipFile(io.BytesIO(data)).infolist()
    except zipfile.BadZipFile as exc:
        raise DocumentUnreadable(f"{path.name}: 无法解析 Word 文档 / cannot parse the .docx ({exc})") from exc
    inflated = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if inflated > DOCX_MAX_INFLATED or inflated / packed > DOCX_MAX_RATIO:
        raise DocumentUnreadable(f"{path.name}: 解压后过大,疑似压缩炸弹 / refused: inflates to {inflated} bytes (zip bomb?)")


def docx_markdown(path: Path, data: bytes) -> tuple[str, str]:
    """Word headings become Markdown headings; without any, the manual's own numbering does."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    check_zip_bomb(path, data)
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on a damaged file
        raise DocumentUnreadable(f"{path.name}: 无法解析 Word 文档 / cannot parse the .docx ({exc})") from exc
    title = (document.core_properties.title or "").strip()
    lines, has_headings = [], False
    for element in document.element.body.iterchildren():
        if element.tag.endswith("}p"):
            paragraph = Paragraph(element, document)
            text = normalize_text(paragraph.text).strip()
            level = _WORD_HEADING.match(paragraph.style.name or "") if paragraph.style is not None else None
            if text and level:
                has_headings = True
                title = title or text
                lines += [f"{'#' * min(int(level.group(1)) + 1, 6)} {text}", ""]
            elif text:
                lines += [text, ""]
        elif element.tag.endswith("}tbl"):
            lines += markdown_table([[cell.text for cell in row.cells] for row in Table(element, document).rows])
    title = title or path.stem
    body = "\n".join(lines)
    return title, (f"# {title}\n\n{body}" if has_headings else markdown_from_text(title, body))


def pdf_markdown(path: Path, data: bytes) -> tuple[str, str]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            raise DocumentUnreadable(f"{path.name}: PDF 已加密 / the PDF is encrypted")
        text = "\n".join(page.extract_text() or "" for page in reader.pages)
        title = str((reader.metadata or {}).get("/Title") or "").strip() or path.stem
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentUnreadable(f"{path.name}: 无法解析 PDF / cannot parse the PDF ({exc})") from exc
    return title, markdown_from_text(title, text)


class NestingDepth(HTMLParser):
    """The deepest nesting of tables, and of elements, in one linear pass over the page."""

    def __init__(self):
        super().__init__(convert_charrefs=False)
        self.tables = self.deepest_table = 0
        self.open: list[str] = []
        self.deepest = 0

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables += 1
            self.deepest_table = max(self.deepest_table, self.tables)
        if tag not in _VOID_OR_OPEN:
            self.open.append(tag)
            self.deepest = max(self.deepest, len(self.open))

    def handle_endtag(self, tag):
        if tag == "table":
            self.tables = max(self.tables - 1, 0)
        if tag in self.open:  # closes it and whatever was left open inside it
            del self.open[len(self.open) - 1 - self.open[::-1].index(tag):]


def check_html_nesting(path: Path, text: str) -> None:
    depth = NestingDepth()
    depth.feed(text)
    depth.close()
    if depth.deepest_table > MAX_TABLE_NESTING:
        raise DocumentTooComplex(
            f"{path.name}: 表格嵌套了 {depth.deepest_table} 层,超过 {MAX_TABLE_NESTING} 层的限制 / "
            f"tables nested {depth.deepest_table} deep, more than the limit of {MAX_TABLE_NESTING}"
        )
    if depth.deepest > MAX_ELEMENT_NESTING:
        raise DocumentTooComplex(
            f"{path.name}: 网页元素嵌套了 {depth.deepest} 层,超过 {MAX_ELEMENT_NESTING} 层的限制 / "
            f"elements nested {depth.deepest} deep, more than the limit of {MAX_ELEMENT_NESTING}"
        )


def html_markdown(path: Path, data: bytes) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    text = _decode(path, data)
    check_html_nesting(path, text)
    soup = BeautifulSoup(text, "html.parser")
    for noise in soup(["script", "style", "nav", "header", "footer", "noscript", "template"]):
        noise.decompose()
    heading = soup.find("h1")
    title = normalize_text(soup.title.get_text() if soup.title else (heading.get_text() if heading else "")).strip() or path.stem
    lines = []
    for element in soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "table"]):
        if element.find_parent("table") is not None or (element.name != "table" and element.find_parent("li") is not None and element.name != "li"):
            continue
        if element.name == "table":
            lines += markdown_table([[c.get_text(" ") for c in tr.find_all(["td", "th"])] for tr in element.find_all("tr")])
            continue
        text = normalize_text(element.get_text(" ")).strip()
        if not text:
            continue
        if element.name[0] == "h":
            lines += [f"{'#' * min(int(element.name[1]) + 1, 6)} {text}", ""]
        else:
            lines += [f"- {text}" if element.name == "li" else text, ""]
    return title, f"# {title}\n\n" + "\n".join(lines)


CONVERTERS = {".docx": docx_markdown, ".pdf": pdf_markdown, ".html": html_markdown, ".htm": html_markdown}


def read_document(path: Path) -> KbDocument:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise DocumentUnreadable(f"{path.name}: 无法读取 / cannot read ({exc})") from exc
    return document_from_bytes(path, data)


def document_from_bytes(path: Path, data: bytes) -> KbDocument:
    """The document the file `path` would be with these bytes (an edit checked before it is written)."""
    suffix = path.suffix.lower()
    title = None
    if suffix == ".md":
        markdown = normalize_text(_decode(path, data))
    elif suffix == ".txt":
        markdown = markdown_from_text(path.stem, _decode(path, data))
    elif suffix in CONVERTERS:
        title, markdown = CONVERTERS[suffix](path, data)
    else:
        raise DocumentUnreadable(
            f"{path.name}: 不支持的文件类型 / unsupported file type {suffix!r}; use one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    parsed = parse_markdown(markdown, path.name)
    title = str(parsed.meta.get("title") or title or path.stem)
    if not sections(parsed):
        raise DocumentUnreadable(f"{path.name}: 没有正文 / no text to index")
    return KbDocument(path.stem, path, title, parsed.meta, markdown, hashlib.sha256(data).hexdigest())
