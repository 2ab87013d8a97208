"""The kept index versions of a kb as editors compare them: what each holds (built at, counts,
model, quality gate), and what changed between two: passages added, removed and changed (a
passage whose text changed in place: same document and heading path), questions added and
removed on the passages both hold."""

from pathlib import Path

from indexer.chunk import Chunk, read_chunks
from indexer.versions import CHUNKS_FILE, current_version, kept_version, list_versions, read_manifest, versions_dir
from kefu.errors import IndexMissing

SHOWN = 200  # passages listed per kind of change (all are counted)
TEXT_CHARS = 200


def version_facts(index_root: Path, version: str, current: str | None) -> dict:
    manifest = read_manifest(versions_dir(index_root) / version)
    counts = manifest.get("counts", {})
    return {
        "version": version, "current": version == current, "built_at": manifest.get("built_at"),
        "build_seconds": manifest.get("build_seconds"), "model": manifest.get("model"), "dimension": manifest.get("dimension"),
        "docs": counts.get("docs", 0), "chunks": counts.get("chunks", 0), "questions": counts.get("questions", 0),
        "embedded": counts.get("embedded", 0), "reused": counts.get("reused", 0),
        "gate": manifest.get("gate"), "documents": sorted(manifest.get("kb_files", {})),
    }


def list_kept(index_root: Path) -> dict:
    """The kept versions, newest first, and which is current."""
    try:
        current = current_version(index_root)
    except IndexMissing:
        current = None
    versions = [version_facts(index_root, v, current) for v in reversed(list_versions(index_root))]
    return {"current": current, "versions": versions}


def brief(chunk: Chunk) -> dict:
    text = chunk.text if len(chunk.text) <= TEXT_CHARS else chunk.text[:TEXT_CHARS] + "…"
    return {"id": chunk.id, "doc": chunk.doc, "section": chunk.section, "text": text}


def pair_changed(removed: list[Chunk], added: list[Chunk]) -> list[tuple[Chunk, Chunk]]:
    """A removed and an added passage at the same place (document and heading path), in order:
    one passage whose text changed."""
    waiting: dict[tuple[str, str], list[Chunk]] = {}
    for chunk in added:
        waiting.setdefault((chunk.doc, chunk.section), []).append(chunk)
    pairs = []
    for chunk in removed:
        candidates = waiting.get((chunk.doc, chunk.section))
        if candidates:
            pairs.append((chunk, candidates.pop(0)))
    return pairs


def diff_chunks(old: list[Chunk], new: list[Chunk]) -> dict:
    old_ids, new_ids = {c.id: c for c in old}, {c.id: c for c in new}
    removed = [c for c in old if c.id not in new_ids]
    added = [c for c in new if c.id not in old_ids]
    changed = pair_changed(removed, added)
    paired = {c.id for pair in changed for c in pair}
    questions_added, questions_removed = [], []
    for chunk in new:
        before = old_ids.get(chunk.id)
        if before is None:
            continue
        gained = [q for q in chunk.questions if q not in before.questions]
        lost = [q for q in before.questions if q not in chunk.questions]
        if gained:
            questions_added.append({**brief(chunk), "questions": gained})
        if lost:
            questions_removed.append({**brief(chunk), "questions": lost})
    lists = {
        "added": [brief(c) for c in added if c.id not in paired],
        "removed": [brief(c) for c in removed if c.id not in paired],
        "changed": [{"before": brief(a), "after": brief(b)} for a, b in changed],
        "questions_added": questions_added,
        "questions_removed": questions_removed,
    }
    counts = {name: len(items) for name, items in lists.items()}
    counts["questions_added"] = sum(len(item["questions"]) for item in questions_added)
    counts["questions_removed"] = sum(len(item["questions"]) for item in questions_removed)
    return {"counts": counts, **{name: items[:SHOWN] for name, items in lists.items()}}


def diff_versions(index_root: Path, a: str, b: str) -> dict:
    """What changed from kept version `a` to kept version `b` (404 for one not kept)."""
    chunks = [read_chunks(versions_dir(index_root) / kept_version(index_root, v) / CHUNKS_FILE) for v in (a, b)]
    return {"a": a, "b": b, **diff_chunks(*chunks)}
