"""Each index version keeps the kb files it was built from, so that rolling back brings the
documents back too: a document deleted since comes back, one replaced since gets its old text.

The copies are stored once per content under the kb's index folder (`files/<sha256>`); the
manifest's `kb_files` (name -> sha256) says which a version holds. Copies no kept version names
are deleted when versions are pruned.
"""

import hashlib
import os
from pathlib import Path

from indexer.load import KbDocument, list_kb_files
from indexer.versions import kept_version, list_versions, previous_version, read_manifest, set_current, versions_dir
from kefu.kbs import find_kb
from kefu.settings import Settings, index_root

FILES_DIR = "files"


def store_dir(index_root: Path) -> Path:
    return index_root / FILES_DIR


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def keep_copy(index_root: Path, data: bytes) -> str:
    """The bytes stored under their hash (written whole through a temporary file); the hash."""
    digest = hashlib.sha256(data).hexdigest()
    target = store_dir(index_root) / digest
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(digest + ".tmp")
        tmp.write_bytes(data)
        os.replace(tmp, target)
    return digest


def snapshot_documents(index_root: Path, docs: list[KbDocument]) -> None:
    """A copy of each document's file as this build read it (one whose bytes changed since is
    stored under its new hash; the manifest's hash then finds no copy, and rollback says so)."""
    for doc in docs:
        keep_copy(index_root, doc.path.read_bytes())


def prune_copies(index_root: Path) -> None:
    """Delete the copies no kept version holds."""
    held = set()
    for version in list_versions(index_root):
        held |= set(read_manifest(versions_dir(index_root) / version).get("kb_files", {}).values())
    folder = store_dir(index_root)
    for path in folder.iterdir() if folder.is_dir() else []:
        if path.name not in held:
            path.unlink(missing_ok=True)


def write_file_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name("." + path.name + ".restore")
    tmp.write_bytes(data)
    os.replace(tmp, path)


def restore_documents(index_root: Path, folder: Path, version: str) -> dict[str, list[str]]:
    """Make the kb's files those `version` was built from: its files restored where missing or
    changed, and the files other kept versions held but it does not moved out of the kb (their
    copies stay, for rolling forward). Files no version ever held (uploaded, never indexed) are
    left alone. Nothing changes when a copy is missing (a version built before copies were kept)."""
    wanted = read_manifest(versions_dir(index_root) / version).get("kb_files", {})
    missing = [name for name, digest in wanted.items() if not (store_dir(index_root) / digest).is_file()]
    if missing:
        return {"restored": [], "removed": [], "missing": sorted(missing)}
    restored = []
    for name, digest in sorted(wanted.items()):
        path = folder / name
        if path.is_file() and sha256_of(path) == digest:
            continue
        if path.is_file():
            keep_copy(index_root, path.read_bytes())
        write_file_atomic(path, (store_dir(index_root) / digest).read_bytes())
        restored.append(name)
    indexed = set()
    for other in list_versions(index_root):
        indexed |= set(read_manifest(versions_dir(index_root) / other).get("kb_files", {}))
    removed = []
    for path in list_kb_files(folder):
        if path.name not in wanted and path.name in indexed:
            keep_copy(index_root, path.read_bytes())
            path.unlink()
            removed.append(path.name)
    return {"restored": restored, "removed": removed, "missing": []}


def roll_back(settings: Settings, kb: str, version: str | None = None) -> tuple[str, dict[str, list[str]]]:
    """Make `version` (a kept one; by default the one before the current) the kb's current
    version, with the documents it was built from; the version and what changed in kb/."""
    root = index_root(settings, kb)
    version = kept_version(root, version) if version else previous_version(root)
    documents = restore_documents(root, find_kb(settings, kb).folder, version)
    set_current(root, version)
    return version, documents
