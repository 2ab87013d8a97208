"""The quality gate on re-index: a new version whose hybrid Recall@5 on the gold dev half
drops more than `quality_gate_max_drop` below the current version's does not become current."""

import itertools
import logging
from collections.abc import Callable
from pathlib import Path

from bot.retrieve.index import LoadedIndex, load_current, load_version
from bot.retrieve.query_encoder import QueryEncoder
from bot.retrieve.search import RetrievalMode, Searcher
from indexer import versions
from indexer.embed import Progress, no_progress
from kefu.errors import IndexCorrupt, IndexMissing, KefuError, ModelUnavailable
from kefu.gold import GoldItem, answers, gold_file, load_gold
from kefu.model import Encoder
from kefu.settings import QueryBackend, Settings, index_root
from kefu.text.tokenize import Tokenizer

log = logging.getLogger(__name__)
SHOWN_REGRESSIONS = 20


class QualityGateFailed(KefuError):
    status, code = 409, "quality_gate_failed"


class GoldSetMissing(KefuError):
    status, code = 503, "gold_set_missing"


def found_in_top5(searcher: Searcher, item: GoldItem) -> bool:
    return any(answers(hit.chunk, item) for hit in searcher.search(item.question, 5, RetrievalMode.hybrid))


def recall_at_5(index: LoadedIndex, items: list[GoldItem], queries: QueryEncoder, tokenizer: Tokenizer, settings: Settings, asked=lambda: None) -> dict[str, bool]:
    """Each question asked in the kb of `index` alone, as the kb's own widget would ask it;
    `asked()` is called after each."""
    searcher = Searcher(index, queries, tokenizer, settings)
    found = {}
    for item in items:
        found[item.id] = found_in_top5(searcher, item)
        asked()
    return found


def dev_items(settings: Settings, kb: str) -> list[GoldItem]:
    """The gold dev half's answerable questions asked in `kb`."""
    path = gold_file(settings)
    if not path.is_file():
        raise GoldSetMissing(
            f"找不到金标准问题集 {path},无法做质量检查 / no gold set at {path} for the quality gate: "
            "set KEFU_GOLD_PATH, or KEFU_QUALITY_GATE=false to re-index without the check"
        )
    return [i for i in load_gold(path, "dev") if i.answerable and i.kb == kb]


def built_with(settings: Settings, kb: str) -> str | None:
    """The model the kb's current version names in its manifest, if it can be read."""
    root = index_root(settings, kb)
    try:
        return versions.read_manifest(versions.versions_dir(root) / versions.current_version(root)).get("model")
    except (IndexMissing, IndexCorrupt):
        return None


def current_with_its_queries(settings: Settings, queries: QueryEncoder, kb: str) -> tuple[LoadedIndex, QueryEncoder, Settings] | None:
    """The kb's current version, with the query encoder and settings it is searched with; None when
    there is none to compare with. A version built with another model (a switch to a tuned model
    is a re-index) is searched with that model, so the switch is compared like any re-index; it is
    not first loaded with this model, which would refuse it, and each older version, in the log."""
    model = built_with(settings, kb)
    if model is None or model == settings.embed_model:
        try:
            return load_current(settings, kb), queries, settings
        except (IndexMissing, IndexCorrupt):
            return None  # none, or damaged: nothing sound to compare with
    # torch: an ONNX export of the old model, made only to compare once, would be written to disk for nothing
    theirs = settings.model_copy(update={"embed_model": model, "query_backend": QueryBackend.torch})
    try:
        return load_current(theirs, kb), QueryEncoder(Encoder(theirs), theirs), theirs
    except (ModelUnavailable, IndexCorrupt) as exc:
        raise QualityGateFailed(
            f"质量检查无法比较 / quality gate cannot compare: {kb}'s current version was built with {model}, "
            f"which cannot be searched here ({exc}). Use --force to switch anyway."
        ) from exc


def quality_gate(settings: Settings, queries: QueryEncoder, tokenizer: Tokenizer, kb: str, progress: Progress = no_progress) -> Callable[[Path], dict] | None:
    """The check a build of `kb` runs on its finished folder, or None when the gate is switched
    off. The gold file is read now, so a missing one stops the re-index before anything is built.
    The check returns what it measured; `progress` hears of each question asked ("check")."""
    if not settings.quality_gate:
        return None
    items = dev_items(settings, kb)

    def check(new_version: Path) -> dict:
        if not items:
            log.warning("quality gate: the gold dev half has no answerable question in %s, nothing to compare", kb)
            return {"state": "passed", "questions": 0}
        compared = current_with_its_queries(settings, queries, kb)
        if compared is None:
            return {"state": "first", "questions": len(items)}  # nothing to compare with: the first build always passes
        current, current_queries, current_settings = compared
        done = itertools.count(1)

        def asked() -> None:  # both passes counted as one stage
            progress("check", next(done), 2 * len(items))

        before = recall_at_5(current, items, current_queries, tokenizer, current_settings, asked)
        after = recall_at_5(load_version(new_version, settings), items, queries, tokenizer, settings, asked)
        old, new = sum(before.values()) / len(items), sum(after.values()) / len(items)
        if old - new > settings.quality_gate_max_drop:
            regressed = [i.question for i in items if before[i.id] and not after[i.id]]
            shown = "; ".join(regressed[:SHOWN_REGRESSIONS])
            raise QualityGateFailed(
                f"质量检查未通过,索引未切换 / quality gate failed, {kb} not switched: hybrid Recall@5 on the dev half "
                f"{old:.3f} -> {new:.3f} (allowed drop {settings.quality_gate_max_drop:.3f}); "
                f"{len(regressed)} questions regressed: {shown}. Use --force to switch anyway."
            )
        return {"state": "passed", "questions": len(items), "recall_before": round(old, 4), "recall_after": round(new, 4), "allowed_drop": settings.quality_gate_max_drop}

    return check
