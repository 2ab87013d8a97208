"""The gold question set: loading, and deciding whether a passage answers a gold question."""

import json
from dataclasses import dataclass, field
from pathlib import Path

from indexer.chunk import PATH_SEPARATOR, Chunk
from indexer.textnorm import compact

DEFAULT_GOLD = Path(__file__).parent / "gold.jsonl"
SPLITS = ("dev", "test", "all")


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise ValueError(f"--split 只能是 dev、test 或 all / --split must be dev, test or all, not {split!r}")
    return split


@dataclass(frozen=True)
class GoldItem:
    id: str
    question: str
    persona: str
    answerable: bool
    kind: str
    split: str
    doc: str | None = None
    key_phrases: tuple[str, ...] = field(default_factory=tuple)
    paraphrases: tuple[str, ...] = field(default_factory=tuple)  # the same question as other users ask it


def load_gold(path: Path = DEFAULT_GOLD, split: str | None = None) -> list[GoldItem]:
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


def answers(chunk: Chunk, item: GoldItem) -> bool:
    """A passage answers a gold question when it is from the named manual and holds a key
    phrase (its own heading counts: a phrase may run from 第六条 into the article)."""
    if not item.answerable or not chunk.doc.startswith(item.doc or ""):
        return False
    heading = chunk.section.split(PATH_SEPARATOR)[-1]
    text = compact(heading + chunk.text)
    return any(compact(phrase) in text for phrase in item.key_phrases)
