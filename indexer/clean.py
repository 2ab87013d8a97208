"""Strip what document-sharing sites wrap around a manual, and undo their capture damage.

Every function here only deletes characters or white space (a test checks this on the real
manuals): the manual's own words are never changed, only uncovered.
"""

import re

from kefu.text.normalize import normalize_text

# Lines that belong to the hosting site, not the manual: upload banners, viewer controls,
# licence/disclaimer boilerplate, recommendations. Matched against a whole stripped line.
SITE_LINE_PATTERNS = [
    r".*(上传人|文档编号|上传时间).*(格式|页数|大小).*",
    r".*返回\s*下载.*举报.*|下载\s*相关\s*举报",
    r".*_第\d+页",
    r"点击查看更多>*|查看更多|资源描述|展开阅读全文|相关资源|相关搜索|相关文档|猜你喜欢",
    r"《.*》由会员分享.*",
    r"当前位置:首页.*",
    r".*(版权所有|经营许可证|公网安备|ICP备|版权提示|免责声明|侵权处理|网站地图).*",
    r"【声明】.*",
    r"\d+\s*,\s*(本文|用户下载|若此文).*",
    r"(?:\d+\.\s*|-\s*)?\d+、.*(本站|原创力文档|网站|VIP|平台|付费|下载文档|预览|客服反馈|人工客服工作时间).*",
    r"文档评论\(\d+\)|实名认证|文档贡献者|\+\s*关注|.*\+\s*关注|该用户很懒.*|\d+亿VIP精品文档",
    r"上一篇:.*下一篇:.*",
]
_SITE_LINE = re.compile("|".join(f"(?:{p})" for p in SITE_LINE_PATTERNS))

# Everything after these is the site's footer (comments, related documents, licence notes).
_FOOTER_START = re.compile(r"^(展开阅读全文|文档评论\(\d+\))$")
# Everything before these (but the title line) is the site's header and viewer.
_BODY_START = re.compile(r"^(资源描述|查看更多)$")

_PAGE_LINE = re.compile(r"^第\s*\d+\s*页\s*/?\s*共\s*\d+\s*页$")
# Private-use code points: Wingdings/Symbol bullets that the capture kept as raw glyphs.
_PUA_BULLET = re.compile("[\ue000-\uf8ff]")
_TITLE_SUFFIX = re.compile(r"\.(docx?|pptx?|pdf|txt|xlsx?)(VIP)?$|VIP$", re.IGNORECASE)


# A table of contents whose entries end in page references: "目 录l 公司产品介绍 第4页l …".
_TOC_ENTRY = r"(?:l\s*)?[^。;!?]{1,45}?[\s\-]*第\s*\d[\d\s\-]*页"
_PAGED_TOC = re.compile(rf"目\s*录(?:{_TOC_ENTRY})+")


def drop_paged_toc(text: str) -> str:
    return _PAGED_TOC.sub("", text)


def clean_title(line: str) -> str:
    """A capture's first line is the document's name, often with its file type glued on."""
    return _TITLE_SUFFIX.sub("", normalize_text(line).strip()).strip()


def is_site_line(line: str) -> bool:
    return bool(_SITE_LINE.fullmatch(line.strip()))


def is_page_line(line: str) -> bool:
    return bool(_PAGE_LINE.match(line.strip()))


def cut_site_frame(lines: list[str]) -> list[str]:
    """Drop the site's header (up to 资源描述/查看更多) and footer (from 展开阅读全文/文档评论)."""
    start = next((i + 1 for i, line in enumerate(lines[:60]) if _BODY_START.match(line.strip())), 1)
    end = next((i for i, line in enumerate(lines) if i >= start and _FOOTER_START.match(line.strip())), len(lines))
    return lines[start:end]


def drop_running_headers(lines: list[str], min_repeats: int = 3) -> list[str]:
    """Drop page lines, and short lines repeated on every page right after a page line.

    The first occurrence of a running header that does not follow a page line is the
    document's own title and is kept.
    """
    counts: dict[str, int] = {}
    for line in lines:
        key = line.strip()
        if key and len(key) <= 30:
            counts[key] = counts.get(key, 0) + 1
    kept, after_page = [], False
    for line in lines:
        key = line.strip()
        if is_page_line(key):
            after_page = True
            continue
        if not key:
            kept.append(line)
            continue
        if after_page and counts.get(key, 0) >= min_repeats:
            after_page = False
            continue
        after_page = False
        kept.append(line)
    return kept


def split_paragraphs(lines: list[str]) -> list[str]:
    paragraphs, current = [], []
    for line in lines:
        if line.strip():
            current.append(line.strip())
        elif current:
            paragraphs.append("\n".join(current))
            current = []
    if current:
        paragraphs.append("\n".join(current))
    return paragraphs


def unglue_preview_chunks(paragraphs: list[str]) -> list[str]:
    """Undo the site's preview chunking: paragraphs numbered 1、 2、 3、 … cut mid-sentence.

    Only a numbering that starts at the first paragraph and runs on in steps of one is the
    site's; a manual's own lists restart and do not open the document.
    """
    expected, joined = 1, []
    for para in paragraphs:
        prefix = f"{expected}、"
        if para.startswith(prefix) and (expected > 1 or not joined):
            body = para[len(prefix):]
            if expected == 1:
                joined.append(body)
            else:
                joined[-1] += body
            expected += 1
        else:
            joined.append(para)
    return joined if expected > 3 else paragraphs


_DOUBLED_RUN = re.compile(r"(.{2,80}?)\1", re.DOTALL)
_DOUBLED_CHARS = re.compile(r"(?:([\u4e00-\u9fff])\1){2,}")
# The doubling cuts a paren mark in two around its own copy: "(2)投诉受理" comes out "(2 2)投诉受理".
_SPLIT_PAREN_MARK = re.compile(r"\((\d{1,2}) \1\)")
# ... and doubles a list mark's numeral: "三三.沟通内容" is "三.沟通内容".
_DOUBLED_NUMERAL_MARK = re.compile(r"([一二三四五六七八九十])\1(?=[.、])")


def collapse_doubled_runs(text: str) -> str:
    """Collapse runs repeated back to back ("投诉投诉处理流程处理流程" -> "投诉处理流程").

    A PPT capture repeats each text-box line; in such text even single characters come in
    pairs ("不不能能回回答答"). Runs of two or more characters are collapsed anywhere;
    paired single characters only where the text is mostly doubled, since 常常 or 清清楚楚
    are ordinary Chinese; so are list marks ("三三." -> "三."). A paren mark cut around its copy
    ("(2 2)") becomes one mark.
    """
    collapsed = _DOUBLED_RUN.sub(r"\1", text)
    if len(collapsed) < 0.8 * len(text):
        collapsed = _DOUBLED_CHARS.sub(lambda m: m.group(0)[::2], collapsed)
        collapsed = _DOUBLED_NUMERAL_MARK.sub(r"\1", collapsed)
    return _SPLIT_PAREN_MARK.sub(r"(\1)", collapsed)


def is_doubled(text: str) -> bool:
    """True where a paragraph is a PPT capture's doubled text rather than ordinary prose."""
    return len(_DOUBLED_RUN.sub(r"\1", text)) < 0.8 * len(text)


def break_at_pua_bullets(text: str) -> str:
    """A bullet glyph starts a new item; the glyph itself carries no words."""
    return _PUA_BULLET.sub("\n", text)


def clean_capture(raw: str) -> tuple[str, list[str]]:
    """A raw capture to (title, paragraphs of the manual's own text)."""
    lines = raw.splitlines()
    title = clean_title(lines[0]) if lines else ""
    body = [line for line in cut_site_frame(lines) if not is_site_line(line)]
    body = drop_running_headers(body)
    paragraphs = unglue_preview_chunks(split_paragraphs(body))
    paragraphs = [collapse_doubled_runs(p) if is_doubled(p) else p for p in paragraphs]
    return title, [normalize_text(drop_paged_toc(break_at_pua_bullets(p))) for p in paragraphs]
