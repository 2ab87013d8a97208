"""Index versions on disk: folders of plain files, a manifest each, and a CURRENT pointer.

Layout under `<data_dir>/index/`:
    versions/<id>/            a finished version (never modified after it is published)
    versions/.building-<id>/  a build in progress; never read, removed by the next build
    CURRENT                   the id of the version being served, replaced atomically
"""

import hashlib
import json
import os
import shutil
from datetime import datetime, timezone
from pathlib import Path

from kefu.errors import IndexCorrupt, IndexMissing
from kefu.settings import Settings
from kefu.text.tokenize import lexicon_hash

# The files of a version folder: the writer (indexer.build) and the reader (bot.retrieve.index)
# both take the names from here.
MANIFEST = "manifest.json"
CHUNKS_FILE = "chunks.jsonl"
DENSE_FILE = "dense.faiss"
BM25_DIR = "bm25"
QUESTIONS_DENSE_FILE = "questions.faiss"  # associated questions, one vector each
QUESTIONS_BM25_DIR = "questions_bm25"
CHARS_BM25_DIR = "chars_bm25"  # BM25 over character unigrams and bigrams of each passage
QUESTIONS_CHARS_DIR = "questions_chars_bm25"  # the same over each associated question
TERMS_FILE = "terms.json"  # the kb's words with their counts: the typo corrector's vocabulary
FORMAT_VERSION = 5  # 2: one vector per quotable sentence; 3: a question index of associated questions; 4: terms.json; 5: chars_bm25 and questions_chars_bm25
BUILDING_PREFIX = ".building-"


def expected_manifest_fields(settings: Settings, dimension: int | None = None) -> dict:
    """Manifest fields a reader must agree with before it may query a version."""
    fields = {"model": settings.embed_model, "normalized": True, "lexicon_hash": lexicon_hash()}
    if dimension is not None:
        fields["dimension"] = dimension
    return fields


def new_version_id() -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}Z"


def versions_dir(index_root: Path) -> Path:
    return index_root / "versions"


def list_versions(index_root: Path) -> list[str]:
    folder = versions_dir(index_root)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def file_checksum(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): file_checksum(p)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != MANIFEST
    }


def fsync_tree(folder: Path) -> None:
    """Flush a finished version to disk before it is published: a crash must not leave a
    published version with empty files."""
    for path in [*folder.rglob("*"), folder]:
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(obj, handle, ensure_ascii=False, indent=2)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def read_manifest(version_dir: Path) -> dict:
    try:
        return json.loads((version_dir / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise IndexCorrupt(f"{version_dir.name}: 清单无法读取 / manifest unreadable ({exc})") from exc


def verify_version(version_dir: Path, expected: dict) -> dict:
    """The manifest, after checking files against their checksums and `expected` fields
    (model, dimension, lexicon...) against what this process would query with."""
    manifest = read_manifest(version_dir)
    if manifest.get("format") != FORMAT_VERSION:
        raise IndexCorrupt(f"{version_dir.name}: 索引格式不符 / index format {manifest.get('format')} != {FORMAT_VERSION}")
    for key, value in expected.items():
        if manifest.get(key) != value:
            raise IndexCorrupt(
                f"{version_dir.name}: {key} 不一致 / {key} mismatch: index has {manifest.get(key)!r}, "
                f"settings give {value!r}; run `kefu index` to rebuild"
            )
    for name, digest in manifest.get("files", {}).items():
        path = version_dir / name
        if not path.is_file() or file_checksum(path) != digest:
            raise IndexCorrupt(
                f"{version_dir.name}: 文件校验失败 / checksum mismatch for {name}; run `kefu index` to rebuild"
            )
    return manifest


def current_version(index_root: Path) -> str:
    pointer = index_root / "CURRENT"
    try:
        version = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissing("还没有索引 / no index yet: run `kefu index`") from None
    if not (versions_dir(index_root) / version).is_dir():
        raise IndexMissing(f"当前版本 {version} 不存在 / current version {version} is missing: run `kefu index`")
    return version


def set_current(index_root: Path, version: str) -> None:
    pointer = index_root / "CURRENT"
    tmp = pointer.with_name("CURRENT.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        handle.write(version + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, pointer)
    dir_fd = os.open(index_root, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def publish(building: Path, index_root: Path, version: str) -> Path:
    """Move a finished build into place and make it current, each step atomic."""
    fsync_tree(building)
    final = versions_dir(index_root) / version
    os.replace(building, final)
    set_current(index_root, version)
    return final


def remove_stale_builds(index_root: Path) -> None:
    folder = versions_dir(index_root)
    if folder.is_dir():
        for stale in folder.glob(BUILDING_PREFIX + "*"):
            shutil.rmtree(stale, ignore_errors=True)


def prune_versions(index_root: Path, keep: int) -> list[str]:
    """Delete all but the newest `keep` versions; the current one is always kept."""
    versions = list_versions(index_root)
    current = current_version(index_root)
    doomed = [v for v in versions[:-keep] if v != current]
    for version in doomed:
        shutil.rmtree(versions_dir(index_root) / version, ignore_errors=True)
    return doomed


def previous_version(index_root: Path) -> str:
    current = current_version(index_root)
    older = [v for v in list_versions(index_root) if v < current]
    if not older:
        raise IndexMissing(f"{current} 之前没有版本 / no version older than {current} to roll back to")
    return older[-1]
