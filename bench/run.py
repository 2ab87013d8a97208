"""`kefu bench`: every performance number of the issue in one run, on this machine.

Works on temporary copies only: kb/ is copied, the index is built into a temporary data dir,
the server runs on a free loopback port and is stopped at the end. Sections live in the
other bench/ modules; this one runs them in order and gathers one JSON-able result.
"""

import os
import platform
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bench.ask_profile import bench_ask
from bench.build import bench_build, copy_kb
from bench.encoders import bench_encoders, thread_sweep
from bench.http_load import bench_http, bench_http_workers, bench_peer_http, http_ratio
from bench.peer import bench_peer
from bench.scale import bench_dense_scale, bench_sparse_scale, chunk_bytes, server_estimate_mb
from bench.scale_http import bench_scale_http
from bench.stages import bench_stages, distance_from_floor, embed_floor
from bot.assemble import open_bot
from indexer.dense_index import choose_kind
from indexer.versions import CHUNKS_FILE, versions_dir
from kefu.gold import gold_file, load_gold
from kefu.settings import Settings, index_root
from kefu.text.normalize import fold_for_search

QUICK_KBS = ["lighting"]  # the smallest manual: a build in seconds
SCALE_KB = "gas"  # the largest: the synthetic corpora and the peer are made from it
DEFAULT_SIZES = [10_000, 100_000]
QUICK_SIZES = [2_000]
DEFAULT_E2E_CHUNKS = 10_000  # a few minutes; the 100k (--e2e-chunks 100000) takes 8-20 min here, most of it the indexer's write
QUICK_E2E_CHUNKS = 300


@dataclass
class BenchOptions:
    quick: bool = False
    sizes: list[int] = field(default_factory=lambda: list(DEFAULT_SIZES))
    http: bool = True
    e2e_chunks: int = DEFAULT_E2E_CHUNKS  # 0 leaves the end-to-end section out
    progress: callable = print


def scale_kinds(vectors: int) -> list[str]:
    """Flat is the reference; HNSW only where its build stays within minutes on 2 cores; IVF-PQ
    where the vectors outgrow memory (exact search is then done block by block, never held)."""
    kinds = ["flat"] if vectors <= 2_000_000 else []
    kinds += ["hnsw"] if vectors <= 60_000 else []
    return kinds + ["ivf_sq8"] + (["ivf_pq"] if vectors > 1_000_000 else [])


INT8_DOT_FLAGS = ("avx512_vnni", "avx_vnni", "amx_int8")


def cpuinfo_field(cpuinfo: str, name: str) -> str | None:
    """The first processor's `name` line of /proc/cpuinfo, its value only."""
    return next((line.split(":", 1)[1].strip() for line in cpuinfo.splitlines() if line.startswith(name)), None)


def int8_dot(cpuinfo: str) -> list[str]:
    """The CPU's int8 dot-product instructions, as /proc/cpuinfo names them: without any, the int8
    query model runs three to four times slower (docs/performance.md, *Fifth run*)."""
    flags = (cpuinfo_field(cpuinfo, "flags") or "").split()
    return [flag for flag in INT8_DOT_FLAGS if flag in flags]


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = cpuinfo_field(cpuinfo, "model name") or platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "int8_dot": int8_dot(cpuinfo), "python": platform.python_version(), "machine": platform.machine()}


def run_bench(settings: Settings, options: BenchOptions) -> dict:
    say = options.progress
    result: dict = {"meta": {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"), **machine(),
                             "load_before": [round(x, 2) for x in os.getloadavg()], "quick": options.quick,
                             "query_backend": settings.query_backend.value, "query_int8": settings.query_int8,
                             "torch_threads": settings.torch_threads or "default", "onnx_threads": settings.onnx_threads or "default"}}
    chosen_kbs = QUICK_KBS if options.quick else None
    gold = [item for item in load_gold(gold_file(settings)) if chosen_kbs is None or item.kb in chosen_kbs]
    asked = [(item.question, item.kb) for item in gold][: 40 if options.quick else None]  # each in its kb
    questions = [question for question, _ in asked]
    with tempfile.TemporaryDirectory(prefix="kefu-bench-") as tmp:
        kb = copy_kb(settings.kb_dir, Path(tmp) / "kb", chosen_kbs)
        build_settings = settings.model_copy(update={"data_dir": Path(tmp) / "var", "kb_dir": kb})
        bench_settings = build_settings.model_copy(update={"query_cache_size": 0})  # every query pays its encode
        say("build: cold, cached, incremental")
        result["build"] = bench_build(build_settings)  # as `kefu index` runs, query cache on (the gate asks twice)
        bot = open_bot(bench_settings, store=False)
        encoder, service = bot.encoder, bot.service
        say("in-process stages")
        result["floor"] = embed_floor(encoder, questions)
        result["stages"] = bench_stages(service, asked, repeats=1 if options.quick else 2)
        result["floor_ratio"] = distance_from_floor(result["stages"], result["floor"]["floor_ms"])
        say("in-process answers with a SQLite store")
        result["ask"] = bench_ask(service, asked)
        say("query encoders")
        result["encoders"] = bench_encoders(encoder, bench_settings, questions)
        result["threads"] = thread_sweep(encoder, bench_settings, questions)
        say("peer pipeline")
        scale_index = service.readers_for(SCALE_KB if SCALE_KB in service.readers else QUICK_KBS[0])[0].index
        result["peer"] = bench_peer(scale_index, str(encoder.path), questions, os.cpu_count() or 1)
        result["peer_ratio"] = round(result["peer"]["p50"] / result["stages"]["total"]["p50"], 2)
        if options.http:
            say("HTTP on loopback: kefu, then the peer")
            result["http"] = bench_http(bench_settings, asked, options.quick)
            result["http_workers"] = bench_http_workers(bench_settings, asked, options.quick)
            result["peer_http"] = bench_peer_http(bench_settings, asked, options.quick)
            result["peer_http_ratio"] = [http_ratio(result["http"], result["peer_http"], clients, scope)
                                         for clients, scope in ((1, "its kb"), (8, "its kb"), (1, "every kb"))]
        queries = bot.queries.encode_batch([fold_for_search(q) for q in questions[:200]])
        if options.http and options.e2e_chunks:
            say(f"HTTP end to end on {options.e2e_chunks} synthetic chunks")
            indexes = [reader.index for reader in service.readers.values()]
            result["scale_http"] = bench_scale_http(bench_settings, indexes, questions, queries, options.e2e_chunks, Path(tmp) / "e2e", options.quick)
        index, tokenizer = scale_index, service.tokenizer
        per_chunk = chunk_bytes(versions_dir(index_root(bench_settings, index.kb)) / index.version / CHUNKS_FILE)
        result["scale"] = {"dense": [], "sparse": [], "chunk_bytes": round(per_chunk)}
        for chunks in options.sizes:
            say(f"scale: {chunks} chunks")
            vectors = int(chunks * index.dense.ntotal / len(index.chunks))
            dense = bench_dense_scale(index, queries, chunks, scale_kinds(vectors), bench_settings)
            sparse = bench_sparse_scale(index, tokenizer, questions, chunks)
            if "http" in result:
                chosen = next(i for i in dense["indexes"] if i["kind"] == choose_kind(vectors, bench_settings).value)
                dense["server_estimate_mb"] = server_estimate_mb(result["http"]["server_memory"]["idle_rss_mb"], per_chunk, chunks, chosen["memory_mb"], sparse["memory_mb"])
            result["scale"]["dense"].append(dense)
            result["scale"]["sparse"].append(sparse)
    result["meta"]["load_after"] = [round(x, 2) for x in os.getloadavg()]
    return result
