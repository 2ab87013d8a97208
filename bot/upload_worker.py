"""Uploads are parsed in a worker process, never in the server's: parsing is pure Python, so a
hostile file (600 nested tables, 20 KB, took 15 s) would hold the interpreter and a core, and
every customer's question with them. The worker runs under a time and a memory limit and is
killed past either; the server thread that waits for it holds nothing the customers need.

Workers are forked from multiprocessing's fork server (one clean, single-threaded process with
the parsers imported once), not from the server itself, whose threads (uvicorn, torch) a fork
would copy in whatever state they are in.
"""

import multiprocessing
import resource
from pathlib import Path

from indexer.upload_check import check_upload
from kefu.errors import DocumentTooComplex, DocumentUnreadable, KefuError
from kefu.settings import Settings

JOIN_SECONDS = 5


def _work(path: str, kb: str, min_chars: int, max_chars: int, memory_bytes: int, connection) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    try:
        connection.send(("ok", check_upload(Path(path), kb, min_chars, max_chars)))
    except MemoryError:
        connection.send(("memory", ""))
    except DocumentTooComplex as exc:
        connection.send(("complex", str(exc)))
    except KefuError as exc:
        connection.send(("unreadable", str(exc)))
    except Exception as exc:  # a parser's own failure on a hostile file is a refusal, not a 500
        connection.send(("unreadable", f"{Path(path).name}: 无法解析 / cannot parse ({type(exc).__name__}: {exc})"))


def refusal(kind: str, message: str, name: str, settings: Settings) -> KefuError:
    if kind == "unreadable":
        return DocumentUnreadable(message)
    if kind == "complex":
        return DocumentTooComplex(message)
    limit = settings.upload_parse_memory_mb
    return DocumentTooComplex(
        f"{name}: 解析超过 {limit} MB 的内存限制,未上传 / parsing needed more than the {limit} MB memory limit (KEFU_UPLOAD_PARSE_MEMORY_MB)"
    )


def check_in_worker(path: Path, kb: str, settings: Settings) -> dict:
    """check_upload(path) in a worker process: its result, or the refusal it raised, or
    DocumentTooComplex when it ran out of time or memory (the worker is killed)."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["bot.upload_worker"])
    receive, send = context.Pipe(duplex=False)
    memory = settings.upload_parse_memory_mb * 1024 * 1024
    worker = context.Process(
        target=_work, args=(str(path), kb, settings.chunk_min_chars, settings.chunk_max_chars, memory, send), name="kefu-upload-check", daemon=True,
    )
    worker.start()
    send.close()
    try:
        if not receive.poll(settings.upload_parse_seconds):
            seconds = settings.upload_parse_seconds
            raise DocumentTooComplex(
                f"{path.name}: 解析超过 {seconds:g} 秒的时间限制,未上传 / parsing took longer than the {seconds:g} s limit (KEFU_UPLOAD_PARSE_SECONDS); "
                "split the file or simplify its tables"
            )
        try:
            kind, value = receive.recv()
        except EOFError:  # killed from inside: the memory limit, most likely
            kind, value = "memory", ""
    finally:
        if worker.is_alive():
            worker.kill()
        worker.join(JOIN_SECONDS)
        receive.close()
    if kind != "ok":
        raise refusal(kind, value, path.name, settings)
    return value
