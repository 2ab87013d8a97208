"""Raw web captures of manuals to Markdown files in kb/, with front matter.

The result is a starting point for an editor's review: `kefu import` never overwrites a
file in kb/ (which may hold hand corrections) unless told to.
"""

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from indexer.clean import clean_capture
from indexer.structure import to_markdown
from kefu.errors import ImportRefused

# Registered names (…有限公司) are preferred over short ones (…集团, …公司).
_ORG_PATTERNS = [
    re.compile(r"[\u4e00-\u9fffA-Za-z()]{2,24}(?:有限责任公司|有限公司)"),
    re.compile(r"[\u4e00-\u9fff]{2,6}(?:集团|公司)"),
]
_DATE = re.compile(
    r"[一二三四五六七八九十〇○0O]{4}年[一二三四五六七八九十\d]{1,3}月"
    r"|(?:19|20)\d{2}年\d{1,2}月(?:\d{1,2}日)?|(?:19|20)\d{2}-\d{2}-\d{2}"
)
# Content kinds, each recognised by words a manual uses when it covers that kind.
CATEGORY_CUES = {
    "产品介绍": ("产品特点", "产品介绍", "系列"),
    "服务规范": ("服务规范", "服务标准", "服务质量标准", "行为规范"),
    "处理时限": ("小时内", "分钟内"),
    "退换货": ("退货", "换货", "退换"),
    "投诉处理": ("投诉",),
    "服务用语": ("用语", "应说", "不可以说"),
    "信息保密": ("保密",),
    "回访": ("回访",),
}


@dataclass(frozen=True)
class ImportedManual:
    path: Path
    title: str
    chars: int


def find_organization(text: str) -> str | None:
    for pattern in _ORG_PATTERNS:
        names = Counter(m.group(0) for m in pattern.finditer(text))
        if names:
            return names.most_common(1)[0][0]
    return None


def find_date(text: str, head_chars: int = 400) -> str | None:
    match = _DATE.search(text[:head_chars])
    return match.group(0) if match else None


def find_categories(text: str) -> list[str]:
    return [name for name, cues in CATEGORY_CUES.items() if any(cue in text for cue in cues)]


def front_matter(meta: dict) -> str:
    dumped = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
    return f"---\n{dumped}---\n\n"


def kb_name(source: Path, title: str) -> str:
    prefix = source.stem.split("_")[0]
    safe_title = re.sub(r"[\\/:*?\"<>|\s]+", "", title)[:40] or "manual"
    return f"{prefix}-{safe_title}.md"


def capture_to_markdown(raw: str, source_name: str) -> tuple[str, str]:
    """A raw capture to (title, full Markdown text with front matter)."""
    title, paragraphs = clean_capture(raw)
    body = "\n".join(paragraphs)
    meta = {
        "title": title,
        "source": source_name,
        "organization": find_organization(body),
        "categories": find_categories(body),
        "date": find_date(body),
    }
    return title, front_matter(meta) + to_markdown(title, paragraphs)


def import_capture(source: Path, kb_dir: Path, overwrite: bool = False) -> ImportedManual:
    try:
        raw = source.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportRefused(f"{source}: 无法读取为 UTF-8 文本 / cannot read as UTF-8 text ({exc})") from exc
    if not raw.strip():
        raise ImportRefused(f"{source}: 文件为空 / file is empty")
    title, markdown = capture_to_markdown(raw, source.name)
    target = kb_dir / kb_name(source, title)
    if target.exists() and not overwrite:
        raise ImportRefused(
            f"{target} 已存在，可能含有人工校对 / already exists and may hold hand corrections; "
            "use --overwrite to replace it"
        )
    kb_dir.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(".md.tmp")
    tmp.write_text(markdown, encoding="utf-8")
    tmp.replace(target)
    return ImportedManual(target, title, len(markdown))
