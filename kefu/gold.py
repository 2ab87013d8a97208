"""The gold question set: loading, and deciding whether a passage answers a gold question."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from indexer.chunk import PATH_SEPARATOR, Chunk
from kefu.settings import Settings
from kefu.text.normalize import compact

# Beside the code, not the working directory: a server started elsewhere must find the same set.
DEFAULT_GOLD = Path(__file__).resolve().parent.parent / "eval" / "gold.jsonl"
SPLITS = ("dev", "test", "all")


def gold_file(settings: Settings) -> Path:
    """KEFU_GOLD_PATH, or the gold set shipped with kefu: the one path every reader of gold uses."""
    return settings.gold_path or DEFAULT_GOLD


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"--split 只能是 dev、test 或 all / --split must be dev, test or all, not {split!r}")
    return split


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    persona: str
    kb: str  # the knowledge base it is asked in (the widget of that company, or an agent serving it)
    answerable: bool
    kind: str
    split: str
    doc: str | None = None
    key_phrases: tuple[str, ...] = field(default_factory=tuple)
    paraphrases: tuple[str, ...] = field(default_factory=tuple)  # the same question as other users ask it


def load_gold(path: Path, split: str | None = None) -> list[GoldItem]:
    items = []
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                item = GoldItem(**{**raw, "key_phrases": tuple(raw.get("key_phrases", ())), "paraphrases": tuple(raw.get("paraphrases", ()))})
            except (ValueError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: 不是有效的金标准条目 / not a valid gold item ({exc})") from exc
            if split in (None, "all") or item.split == split:
                items.append(item)
    return items


def holds_key_phrase(text: str, item: GoldItem) -> bool:
    """Does the text hold one of the item's key phrases (compared without white space)?"""
    compacted = compact(text)
    return any(compact(phrase) in compacted for phrase in item.key_phrases)


def answers_from(doc: str, text: str, item: GoldItem) -> bool:
    """A passage of `doc` answers a gold question when it is from the named manual and holds a key phrase."""
    return item.answerable and doc.startswith(item.doc or "") and holds_key_phrase(text, item)


def answers(chunk: Chunk, item: GoldItem) -> bool:
    """A chunk answers a gold question (its own heading counts: a phrase may run from 第六条 into the article)."""
    return answers_from(chunk.doc, chunk.section.split(PATH_SEPARATOR)[-1] + chunk.text, item)
