"""The quality gate on re-index: a new version whose hybrid Recall@5 on the gold dev half
drops more than `quality_gate_max_drop` below the current version's does not become current."""

import logging
from collections.abc import Callable
from pathlib import Path

from bot.retrieve.index import LoadedIndex, load_current, load_version
from bot.retrieve.search import RetrievalMode, Searcher
from eval.gold import GoldItem, answers, load_gold
from indexer.embed import Encoder
from indexer.errors import IndexCorrupt, IndexMissing, KefuError
from indexer.settings import Settings
from indexer.textnorm import Tokenizer

log = logging.getLogger(__name__)
SHOWN_REGRESSIONS = 20


class QualityGateFailed(KefuError):
    status, code = 409, "quality_gate_failed"


def found_in_top5(searcher: Searcher, item: GoldItem) -> bool:
    return any(answers(hit.chunk, item) for hit in searcher.search(item.question, 5, RetrievalMode.hybrid))


def recall_at_5(index: LoadedIndex, items: list[GoldItem], encoder: Encoder, tokenizer: Tokenizer, settings: Settings) -> dict[str, bool]:
    searcher = Searcher(index, encoder, tokenizer, settings)
    return {item.id: found_in_top5(searcher, item) for item in items}


def quality_gate(settings: Settings, encoder: Encoder, tokenizer: Tokenizer | None = None) -> Callable[[Path], None]:
    def check(new_version: Path) -> None:
        if not settings.gold_path.is_file():
            log.warning("quality gate skipped: no gold set at %s", settings.gold_path)
            return
        items = [i for i in load_gold(settings.gold_path, "dev") if i.answerable]
        try:
            current = load_current(settings)
        except (IndexMissing, IndexCorrupt):
            return  # nothing to compare with: the first build always passes
        words = tokenizer or Tokenizer()
        before = recall_at_5(current, items, encoder, words, settings)
        after = recall_at_5(load_version(new_version, settings), items, encoder, words, settings)
        old, new = sum(before.values()) / len(items), sum(after.values()) / len(items)
        if old - new > settings.quality_gate_max_drop:
            regressed = [i.question for i in items if before[i.id] and not after[i.id]]
            shown = "; ".join(regressed[:SHOWN_REGRESSIONS])
            raise QualityGateFailed(
                f"质量检查未通过,索引未切换 / quality gate failed, index not switched: hybrid Recall@5 on the dev half "
                f"{old:.3f} -> {new:.3f} (allowed drop {settings.quality_gate_max_drop:.3f}); "
                f"{len(regressed)} questions regressed: {shown}. Use --force to switch anyway."
            )

    return check
