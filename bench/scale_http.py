"""Bench section: the real server over HTTP on one kb of N synthetic chunks (issue 19: 100k chunks
measured end to end, not as a sum of stage p95s).

The kb is written by the indexer's own write path (`indexer.build.write_version`), so the server
loads what `kefu index` would write at that size: the chunks file, the dense index of the kind
`auto` chooses for that many vectors, word and character BM25, the associated questions' indexes,
the terms, the manifest and CURRENT. The texts are real: each synthetic passage keeps the
headings, kind and associated questions of a passage of kb/ drawn at random and holds as many
sentences as it did, each drawn from any kb's passages, so the word and character channels see
the manuals' words in new combinations. The vectors are not encoded: N = 100k is some 240k
sentences and 500k questions, hours of m3e on 2 cores. Each is made from the real vector of the
very sentence or question it stands for, mixed with another and noise as bench.scale mixes them.

Recall@10 is of each dense index as the server loads it (IVF nprobe from the settings) against
exact search over the vectors written, for the real query vectors of the same questions.
"""

import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import faiss
import numpy as np

from bench.http_load import calls, load_sizes, memory_mb, run_case, running_server
from bench.loadgen import run_load
from bench.scale import SEED, mix_vectors, recall_at_10
from bot.retrieve.dense import load_faiss
from bot.retrieve.index import LoadedIndex
from indexer.build import Embedded, build_lock, load_documents, write_version
from indexer.chunk import Chunk, chunk_id
from indexer.dense_index import choose_kind, ivf_lists
from indexer.versions import DENSE_FILE, QUESTIONS_DENSE_FILE
from kefu.kbs import KB_FILE
from kefu.settings import DenseIndexKind, Settings, index_root, onnx_root
from kefu.text.tokenize import Tokenizer

KB = "synthetic"
KB_YAML = "name: 合成知识库(性能测试)\norganization: 性能测试\ngreeting: 您好,请问有什么可以帮您?\n"
SAMPLE_ASKS = 20  # answers whose citations are checked against the synthetic kb


@dataclass(frozen=True)
class Pool:
    """The real passages of kb/ with their vectors: what synthetic passages are made of."""

    chunks: list[Chunk]
    unit_start: np.ndarray  # chunk -> its first row in `units` (one extra entry at the end)
    units: np.ndarray  # every quotable unit's vector, chunk by chunk
    question_start: np.ndarray  # chunk -> its first row in `questions`
    questions: np.ndarray
    sentences: list[tuple[str, int]]  # every sentence of a text passage with its row in `units`


def all_vectors(index: faiss.Index | None, dimension: int) -> np.ndarray:
    """Every vector of a flat index as written (an IVF one would give back its 8-bit codes)."""
    return index.reconstruct_n(0, index.ntotal) if index is not None and index.ntotal else np.zeros((0, dimension), np.float32)


def offsets(counts: list[int], base: int) -> list[int]:
    return (base + np.cumsum([0, *counts[:-1]])).tolist() if counts else []


def pool_of(indexes: list[LoadedIndex]) -> Pool:
    """Every passage of the given (flat, so exactly reconstructable) real indexes."""
    chunks, unit_start, question_start, units, questions = [], [], [], [], []
    for index in indexes:
        unit_start += (index.unit_start[:-1] + sum(len(u) for u in units)).tolist()
        question_start += offsets([len(c.questions) for c in index.chunks], sum(len(q) for q in questions))
        chunks += index.chunks
        units.append(all_vectors(index.dense, index.dimension))
        questions.append(all_vectors(index.questions and index.questions.dense, index.dimension))
    units_all = np.concatenate(units)
    sentences = [(text, row) for chunk, start in zip(chunks, unit_start) if chunk.kind == "text"
                 for row, text in enumerate(chunk.quotable_units(), start=start)]
    return Pool(chunks, np.array([*unit_start, len(units_all)]), units_all, np.array(question_start, dtype=np.int64), np.concatenate(questions), sentences)


def synthetic_chunk(pool: Pool, number: int, rng: np.random.Generator) -> tuple[Chunk, list[int], list[int]]:
    """Passage `number`, with the pool rows of its units' and its questions' vectors."""
    template = rng.integers(len(pool.chunks))
    real = pool.chunks[template]
    rows = list(range(int(pool.unit_start[template]), int(pool.unit_start[template + 1])))
    text = real.text
    if real.kind == "text":
        drawn = [pool.sentences[i] for i in rng.integers(len(pool.sentences), size=len(rows))]
        candidate = "\n".join(sentence for sentence, _ in drawn)
        if Chunk("", "", "", "", candidate, 0, 0, "text").quotable_units() == [s for s, _ in drawn]:  # re-split exactly as drawn
            text, rows = candidate, [row for _, row in drawn]
    questions = range(int(pool.question_start[template]), int(pool.question_start[template]) + len(real.questions))
    chunk = Chunk(chunk_id(KB, real.doc, real.section, text, number), real.doc, real.title, real.section, text,
                  real.start, real.end, real.kind, real.questions, KB)
    return chunk, rows, list(questions)


def synthetic_kb(pool: Pool, size: int) -> tuple[list[Chunk], Embedded]:
    rng = np.random.default_rng(SEED)
    chunks, unit_rows, question_rows = [], [], []
    for number in range(size):
        chunk, rows, questions = synthetic_chunk(pool, number, rng)
        chunks.append(chunk)
        unit_rows += rows
        question_rows += questions
    units = mix_vectors(pool.units[unit_rows], pool.units[rng.integers(len(pool.units), size=len(unit_rows))], rng)
    questions = mix_vectors(pool.questions[question_rows], pool.questions[rng.integers(len(pool.questions), size=len(question_rows))], rng)
    return chunks, Embedded(units, [q for c in chunks for q in c.questions], questions, 0, 0)


def write_synthetic_kb(settings: Settings, sources: list[Path], pool: Pool, size: int, tokenizer: Tokenizer) -> dict:
    """The kb folder (kb.yaml and the real manuals its passages cite) and its index version."""
    started = time.perf_counter()
    folder = settings.kb_dir / KB
    folder.mkdir(parents=True)
    (folder / KB_FILE).write_text(KB_YAML, encoding="utf-8")
    docs = [doc for source in sources for doc in load_documents(source)]
    for doc in docs:
        shutil.copy(doc.path, folder / doc.path.name)
    chunks, embedded = synthetic_kb(pool, size)
    made = time.perf_counter()
    with build_lock(index_root(settings, KB)):
        version, path, _ = write_version(settings, KB, docs, chunks, embedded, pool.units.shape[1], started, tokenizer=tokenizer)
    return {"version_dir": path, "chunks": chunks, "embedded": embedded,
            "make_s": round(made - started, 1), "write_s": round(time.perf_counter() - made, 1)}


def served_recall(index_file: Path, settings: Settings, query_vectors: np.ndarray, written: np.ndarray) -> float | None:
    """Recall@10 of the index as the server loads it against exact search over `written`."""
    if len(written) < 10:
        return None
    _, found = load_faiss(index_file, settings).search(query_vectors, 10)
    _, exact = faiss.knn(query_vectors, written, 10, faiss.METRIC_INNER_PRODUCT)
    return round(recall_at_10(found, exact), 4)


def dense_facts(vectors: int, settings: Settings) -> dict:
    """The dense index the indexer chooses for this many vectors, with its search breadth."""
    kind = choose_kind(vectors, settings)
    if kind in (DenseIndexKind.flat, DenseIndexKind.hnsw):
        return {"type": kind.value}
    return {"type": kind.value, "nlist": ivf_lists(vectors, settings), "nprobe": settings.ivf_nprobe}


def sample_answers(base_url: str, questions: list[str], chunk_ids: set[str]) -> dict:
    """A few answers read: answered (200), citing, and citing only passages of the synthetic kb."""
    asked = [(question, KB) for question in questions[:SAMPLE_ASKS]]
    load = run_load(base_url, calls("ask", asked), clients=1, per_client=len(asked), seconds=300.0, keep_bodies=True)
    citations = [c for _, status, body in load.bodies if status == 200 and body for c in body.get("citations", [])]
    return {"asked": len(asked), "ok": load.statuses.get(200, 0), "citing": sum(1 for _, _, body in load.bodies if body and body.get("citations")),
            "citations": len(citations), "foreign": sum(1 for c in citations if c["kb"] != KB or c["id"] not in chunk_ids)}


def drive_server(settings: Settings, questions: list[str], quick: bool, chunk_ids: set[str]) -> dict:
    single, seconds = load_sizes(quick)
    asked = [(question, KB) for question in questions]  # in the synthetic kb, as its widget asks
    started = time.perf_counter()
    with running_server(settings, {"KEFU_ONNX_DIR": str(settings.onnx_dir)}) as (base_url, pid):
        start_s = time.perf_counter() - started
        idle = memory_mb(pid)
        answers = sample_answers(base_url, questions, chunk_ids)  # also the warm-up
        cases = [run_case(base_url, kind, asked, clients, 120.0 if clients == 1 else seconds, single if clients == 1 else None)
                 for kind in ("ask", "search") for clients in (1, 8)]
        memory = memory_mb(pid)
    return {"server_start_s": round(start_s, 1), "answers": answers, "cases": cases, "server_memory": {"idle_rss_mb": idle["rss_mb"], **memory}}


def bench_scale_http(source: Settings, indexes: list[LoadedIndex], questions: list[str], query_vectors: np.ndarray, size: int, work: Path, quick: bool) -> dict:
    """A kb of `size` passages made from `indexes` (of source.kb_dir's kbs), written under `work`
    (a data dir and a kb dir of its own: the server loads the synthetic kb alone), served, driven."""
    # the source's ONNX export of the query model: the server would otherwise make its own
    settings = source.model_copy(update={"data_dir": work / "var", "kb_dir": work / "kb", "onnx_dir": onnx_root(source).resolve()})
    sources = [source.kb_dir / index.kb for index in indexes]
    written = write_synthetic_kb(settings, sources, pool_of(indexes), size, Tokenizer())
    embedded, version_dir = written["embedded"], written["version_dir"]
    recall = {"sentences": served_recall(version_dir / DENSE_FILE, settings, query_vectors, embedded.units),
              "questions": served_recall(version_dir / QUESTIONS_DENSE_FILE, settings, query_vectors, embedded.question_vectors)}
    served = drive_server(settings, questions, quick, {c.id for c in written["chunks"]})
    dense = {"sentences": dense_facts(len(embedded.units), settings), "questions": dense_facts(len(embedded.questions), settings)}
    return {"chunks": size, "sentences": len(embedded.units), "questions": len(embedded.questions), "dense_index": dense, "make_s": written["make_s"], "write_s": written["write_s"], "recall@10": recall, **served}
