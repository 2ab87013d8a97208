"""Bench section: building kb/ into an index, on a temporary copy of kb/ and a temporary data dir.

Three builds as `kefu index` runs them (model load, query model and quality gate included): from nothing,
again with every embedding in the cache, and after one manual changes.
"""

import shutil
import time
from pathlib import Path

from bot.gate import quality_gate
from bot.retrieve.query_encoder import QueryEncoder
from indexer.build import build_index
from kefu.kbs import list_kbs
from kefu.model import Encoder
from kefu.settings import Settings
from kefu.text.tokenize import Tokenizer

EDIT = "\n\n## 性能测试新增条款\n\n客户来电询问发票开具时间时,客服人员应在一个工作日内答复。\n"


def copy_kb(source: Path, target: Path, only: list[str] | None = None) -> Path:
    """The knowledge bases (or only the named ones) copied where the bench may edit them."""
    target.mkdir(parents=True, exist_ok=True)
    for folder in sorted(source.iterdir()):
        if folder.is_dir() and (only is None or folder.name in only):
            shutil.copytree(folder, target / folder.name)
    return target


def timed_build(settings: Settings) -> dict:
    """One `kefu index` of every kb: the model and jieba loaded, the builds, the quality gates."""
    started = time.perf_counter()
    encoder, tokenizer = Encoder(settings), Tokenizer()
    loaded = time.perf_counter()
    queries = QueryEncoder(encoder, settings)  # with the ONNX backend, the first build exports the query model
    query_model = time.perf_counter()
    results = [
        build_index(settings, kb.id, encoder=encoder, gate=quality_gate(settings, queries, tokenizer, kb.id), tokenizer=tokenizer)
        for kb in list_kbs(settings)
    ]
    seconds = time.perf_counter() - started
    chunks = sum(r.chunks for r in results)
    return {
        "seconds": round(seconds, 2), "model_load_s": round(loaded - started, 2), "query_model_s": round(query_model - loaded, 2), "chunks": chunks,
        "questions": sum(r.questions for r in results), "sentences_embedded": sum(r.embedded for r in results),
        "sentences_reused": sum(r.reused for r in results), "chunks_per_s": round(chunks / seconds, 1),
    }


def edit_one_manual(kb_dir: Path) -> str:
    path = sorted(kb_dir.glob("*/*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + EDIT, encoding="utf-8")
    return path.name


def bench_build(settings: Settings) -> dict:
    """settings.kb_dir and data_dir must be the bench's own temporary copies."""
    cold = timed_build(settings)
    cached = timed_build(settings)
    edited = edit_one_manual(settings.kb_dir)
    incremental = timed_build(settings)
    return {"cold": cold, "cached": cached, "incremental": {**incremental, "edited": edited}}
