"""Asking commands: `search` (passages) and `ask` (the bot's answer), one question or a file of them."""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from kefu.cli.base import KbOption, fail, print_json, settings_of
from kefu.errors import KefuError

FILE_HELP = "One question per line, or a JSON object per line ({\"question\", \"kb\"?, \"persona\"?, \"session_id\"?}); the model loads once."
REQUEST_KEYS = {"question", "kb", "persona", "session_id"}


@dataclass(frozen=True)
class Request:
    question: str
    kb: str | None
    persona: str
    session_id: str | None = None
    line: int = 0


def parse_line(text: str, number: int, kb: str | None, persona: str) -> Request:
    """A plain line is a question; a JSON object line names its own kb, persona, session."""
    if not text.startswith("{"):
        return Request(text, kb, persona, None, number)
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise ValueError(f"第 {number} 行不是有效的 JSON / line {number} is not valid JSON ({exc})") from exc
    unknown = set(raw) - REQUEST_KEYS if isinstance(raw, dict) else {"(not an object)"}
    if unknown or not isinstance(raw.get("question"), str):
        raise ValueError(f"第 {number} 行 / line {number}: 需要 question,只可含 {', '.join(sorted(REQUEST_KEYS))} / needs \"question\"; unknown keys {sorted(unknown)}")
    return Request(raw["question"], raw.get("kb", kb), raw.get("persona", persona), raw.get("session_id"), number)


def read_requests(path: Path | None, question: str | None, kb: str | None, persona: str) -> list[Request]:
    if (question is None) == (path is None):
        fail(ValueError("给出一个问题或 --file，二者选一 / give either a question or --file, not both or neither"))
    if path is None:
        return [Request(question, kb, persona)]
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(ValueError(f"{path}: 无法读取问题文件 / cannot read questions file ({exc})"))
    try:
        return [parse_line(line.strip(), number, kb, persona) for number, line in enumerate(lines, start=1) if line.strip()]
    except ValueError as exc:
        fail(ValueError(f"{path}: {exc}"))


def check_requests(requests: list[Request], max_chars: int) -> None:
    """Refuse an empty or over-long question, or an unknown persona, before the model is loaded."""
    from bot.service import check_question
    from kefu.vocab import Persona

    for request in requests:
        where = f"问题 {request.line} / question {request.line} (line {request.line}): " if request.line else ""
        try:
            check_question(request.question, max_chars)
            Persona(request.persona)
        except ValueError:
            fail(ValueError(f"{where}persona 只能是 customer 或 agent / persona must be customer or agent, not {request.persona!r}"))
        except KefuError as exc:
            fail(ValueError(f"{where}{exc}"))


def search_cmd(
    ctx: typer.Context,
    query: Annotated[Optional[str], typer.Argument(help="The question or keywords.")] = None,
    kb: KbOption = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 5,
    file: Annotated[Optional[Path], typer.Option("--file", help=FILE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per query on stdout.")] = False,
):
    """Print the top passages for a query (in one kb, or all): fused score, component scores, heading path, source."""
    from bot.assemble import open_bot
    from bot.retrieve.results import render_hits

    requests = read_requests(file, query, kb, "customer")
    check_requests(requests, settings_of(ctx).max_question_chars)
    service = open_bot(settings_of(ctx), store=False).service
    for request in requests:
        try:
            payload = service.search(request.question, k, request.kb)
        except KefuError as exc:
            fail(exc)
        if as_json:
            print_json({key: payload[key] for key in ("query", "results")})
        else:
            render_hits(request.question, payload["results"], Console())


def ask_cmd(
    ctx: typer.Context,
    question: Annotated[Optional[str], typer.Argument(help="The question.")] = None,
    kb: KbOption = None,
    persona: Annotated[str, typer.Option(help="customer or agent.")] = "customer",
    file: Annotated[Optional[Path], typer.Option("--file", help=FILE_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the /api/ask object (one per line with --file).")] = False,
):
    """Answer a question as /api/ask would: cited sentences, confidence, handoff."""
    from bot.assemble import open_bot
    from kefu.vocab import Persona

    requests = read_requests(file, question, kb, persona)
    check_requests(requests, settings_of(ctx).max_question_chars)
    service = open_bot(settings_of(ctx)).service
    for request in requests:
        try:
            result = service.ask(request.question, request.session_id, Persona(request.persona), "api", request.kb)
        except KefuError as exc:
            fail(exc)
        payload = result.to_dict()
        if as_json:
            print_json({"question": request.question, **payload} if file else payload)
        else:
            typer.echo(f"{result.answer}\n[confidence {result.confidence:.2f}, {result.band.value}]")
            for n, citation in enumerate(payload["citations"], start=1):
                typer.echo(f"  [{n}] {citation['section']} ({citation['kb']}/{citation['doc']})")
            for n, option in enumerate(payload["suggestions"], start=1):
                typer.echo(f"  {n}. {option['question']}  (passage {option['id']})")


def register(app: typer.Typer) -> None:
    app.command("search")(search_cmd)
    app.command("ask")(ask_cmd)
