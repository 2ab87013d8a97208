"""The `kefu` command. It parses arguments and delegates: the work lives in indexer/ and bot/,
the measurements in eval/ and bench/; the CLI sits above all of them and nothing imports it."""

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from kefu.errors import KefuError
from kefu.settings import Settings, load_settings

app = typer.Typer(
    help="kefu: 客服知识库机器人 / a customer-service knowledge-base bot that quotes its manuals.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[Optional[Path], typer.Option(help="Runtime data folder (KEFU_DATA_DIR).")] = None,
    kb_dir: Annotated[Optional[Path], typer.Option(help="Knowledge-base folder (KEFU_KB_DIR).")] = None,
):
    overrides = {k: v for k, v in {"data_dir": data_dir, "kb_dir": kb_dir}.items() if v is not None}
    try:
        ctx.obj = load_settings(**overrides)
    except ValueError as exc:
        err.print(f"[red]设置错误 / invalid settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def fail(exc: Exception) -> None:
    err.print(f"[red]错误 / error:[/red] {exc}")
    raise typer.Exit(1)


@app.command("import")
def import_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Raw manual captures (.txt) to turn into Markdown in kb/.")],
    overwrite: Annotated[bool, typer.Option(help="Replace existing kb/ files (hand corrections are lost).")] = False,
):
    """Import raw web captures of manuals into kb/ as Markdown with front matter."""
    from tqdm import tqdm

    from indexer.importer import import_capture

    settings = _settings(ctx)
    failures = 0
    for source in tqdm(files, desc="import", unit="file", file=sys.stderr):
        try:
            result = import_capture(source, settings.kb_dir, overwrite=overwrite)
            tqdm.write(f"{source.name} -> {result.path} ({result.title})", file=sys.stderr)
        except KefuError as exc:
            failures += 1
            err.print(f"[red]错误 / error:[/red] {exc}")
    if failures:
        raise typer.Exit(1)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


@app.command("index")
def index_cmd(
    ctx: typer.Context,
    rollback: Annotated[bool, typer.Option(help="Switch back to the previous index version instead of building.")] = False,
    force: Annotated[bool, typer.Option(help="Make the new version current even if the quality gate fails.")] = False,
):
    """Build kb/ into a new index version and make it current (or roll back).

    Before switching, the gold dev half runs against the new version; a drop of hybrid
    Recall@5 beyond KEFU_QUALITY_GATE_MAX_DROP refuses the switch unless --force."""
    from bot.gate import quality_gate
    from bot.retrieve.query_encoder import QueryEncoder
    from indexer.build import build_index
    from indexer.versions import previous_version, set_current
    from kefu.model import Encoder
    from kefu.settings import index_root
    from kefu.text.tokenize import Tokenizer

    settings = _settings(ctx)
    try:
        if rollback:
            root = index_root(settings)
            version = previous_version(root)
            set_current(root, version)
            err.print(f"current index version: {version}")
            return
        encoder, tokenizer = Encoder(settings), Tokenizer()
        gate = None if force else quality_gate(settings, QueryEncoder(encoder, settings), tokenizer)
        result = build_index(settings, encoder=encoder, gate=gate, tokenizer=tokenizer, progress=build_progress())
    except KefuError as exc:
        fail(exc)
    typer.echo(result.summary())


def build_progress():
    """The build's progress for a person, on stderr: a line when a stage starts and ends, and
    for long stages (embedding) one per tenth done, so a log or a terminal can follow it."""
    shown: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        step = total // 10 if total >= 100 else total
        if stage in shown and done < total and done - shown[stage] < step:
            return
        if shown.get(stage) == total:
            return
        shown[stage] = done
        err.print(f"[dim]{stage}: {done}/{total}[/dim]", highlight=False)

    return report


def _read_questions(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        fail(ValueError(f"{path}: 无法读取问题文件 / cannot read questions file ({exc})"))
    return [line.strip() for line in lines if line.strip()]


@app.command("search")
def search_cmd(
    ctx: typer.Context,
    query: Annotated[Optional[str], typer.Argument(help="The question or keywords.")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many passages.")] = 5,
    file: Annotated[Optional[Path], typer.Option("--file", help="One query per line; the model loads once.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per query on stdout.")] = False,
):
    """Print the top passages for a query: fused score, both component scores, heading path, source."""
    from bot.assemble import open_searcher
    from bot.retrieve.results import hits_to_json, render_hits

    if (query is None) == (file is None):
        fail(ValueError("给出一个查询或 --file，二者选一 / give either a query or --file, not both or neither"))
    queries = _read_questions(file) if file else [query]
    if not any(q.strip() for q in queries):
        fail(ValueError("查询为空 / the query is empty"))
    try:
        searcher = open_searcher(_settings(ctx))
    except KefuError as exc:
        fail(exc)
    for q in queries:
        hits = searcher.search(q, k)
        if as_json:
            print_json(hits_to_json(q, hits))
        else:
            render_hits(q, hits, Console())


@app.command("serve")
def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker processes (each loads the model).")] = 1,
):
    """Serve the bot over HTTP: /api, /docs, the widget, console and editor pages."""
    import os

    import uvicorn

    from bot.auth import load_tokens

    settings = _settings(ctx)
    tokens = load_tokens(settings)
    if tokens.path:
        err.print(f"agent/admin tokens: {tokens.path} (令牌文件 / token file)")
    err.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    os.environ["KEFU_DATA_DIR"], os.environ["KEFU_KB_DIR"] = str(settings.data_dir), str(settings.kb_dir)
    uvicorn.run("bot.app:app_from_env", factory=True, host=host, port=port, workers=workers, log_level="info")


def _bot(settings: Settings):
    from bot.assemble import open_bot

    service = open_bot(settings).service
    if service.reader is None:
        fail(ValueError("还没有可用的索引 / no index to answer from: run `kefu index`"))
    return service


def _check_questions(questions: list[str], max_chars: int) -> None:
    """Refuse an empty or over-long question before the model is loaded."""
    from bot.service import check_question

    for number, q in enumerate(questions, start=1):
        try:
            check_question(q, max_chars)
        except KefuError as exc:
            fail(ValueError(f"问题 {number} / question {number}: {exc}") if len(questions) > 1 else exc)


@app.command("ask")
def ask_cmd(
    ctx: typer.Context,
    question: Annotated[Optional[str], typer.Argument(help="The question.")] = None,
    persona: Annotated[str, typer.Option(help="customer or agent.")] = "customer",
    file: Annotated[Optional[Path], typer.Option("--file", help="One question per line; the model loads once.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the /api/ask object (one per line with --file).")] = False,
):
    """Answer a question as /api/ask would: cited sentences, confidence, handoff."""
    from kefu.vocab import Persona

    if (question is None) == (file is None):
        fail(ValueError("给出一个问题或 --file，二者选一 / give either a question or --file"))
    try:
        chosen = Persona(persona)
    except ValueError:
        fail(ValueError(f"persona 只能是 customer 或 agent / persona must be customer or agent, not {persona!r}"))
    questions = _read_questions(file) if file else [question]
    _check_questions(questions, _settings(ctx).max_question_chars)
    service = _bot(_settings(ctx))
    for q in questions:
        try:
            result = service.ask(q, persona=chosen, channel="api")
        except KefuError as exc:
            fail(exc)
        payload = result.to_dict()
        if as_json:
            print_json({"question": q, **payload} if file else payload)
        else:
            typer.echo(f"{result.answer}\n[confidence {result.confidence:.2f}, {result.band.value}]")
            for n, citation in enumerate(payload["citations"], start=1):
                typer.echo(f"  [{n}] {citation['section']} ({citation['doc']})")


tickets_app = typer.Typer(help="Tickets handed to people.", no_args_is_help=True)
app.add_typer(tickets_app, name="tickets")


@tickets_app.command("list")
def tickets_list_cmd(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option(help="open, assigned, resolved or closed.")] = None,
    priority: Annotated[Optional[str], typer.Option(help="urgent, high or normal.")] = None,
):
    """The ticket queue, urgent and overdue first."""
    from rich.table import Table

    from bot.assemble import open_records
    from bot.auth import load_tokens

    settings = _settings(ctx)
    records = open_records(settings, load_tokens(settings).ticket_key_secret)
    if records is None:
        fail(ValueError("工单库不可用 / the ticket store is unavailable"))
    try:
        rows = records.list_tickets(status, priority)
    except KefuError as exc:
        fail(exc)
    table = Table("id", "priority", "status", "reason", "name", "due")
    for row in rows:
        table.add_row(row["id"], row["priority"], row["status"], row["reason"], row["name"], row["sla_due_at"].strftime("%m-%d %H:%M"))
    Console().print(table)


eval_app = typer.Typer(help="Measure quality: the gold set (default) or the public FAQ-matching sets.", invoke_without_command=True)
app.add_typer(eval_app, name="eval")


@eval_app.callback()
def eval_cmd(
    ctx: typer.Context,
    gold: Annotated[Optional[Path], typer.Option(help="Gold question set (JSON lines) [default: KEFU_GOLD_PATH, else eval/gold.jsonl].")] = None,
    split: Annotated[str, typer.Option(help="dev, test or all.")] = "test",
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
    report: Annotated[Optional[Path], typer.Option(help="Folder for report.json, report.md, reliability.png [default: <data_dir>/eval/<split>].")] = None,
):
    """Retrieval (BM25, dense, hybrid, peer baseline), answers, handoff, calibration, latency — one run."""
    if ctx.invoked_subcommand:
        return
    from eval.report import to_markdown, write_report
    from eval.run import evaluate
    from indexer.build import load_documents
    from kefu.gold import check_split, gold_file, load_gold

    settings = _settings(ctx)
    gold = gold or gold_file(settings)
    try:
        items = load_gold(gold, check_split(split))
        if not items:
            fail(ValueError(f"{gold}: {split} 部分没有问题 / no questions in the {split} split"))
        service = _bot(settings)
        result = evaluate(service, load_documents(settings.kb_dir), items, split)
    except (KefuError, OSError, ValueError) as exc:
        fail(exc)
    paths = write_report(result, report or settings.data_dir / "eval" / split)
    if as_json:
        print_json(result)
    else:
        typer.echo(to_markdown(result))
    err.print("report: " + ", ".join(str(p) for p in paths))


@eval_app.command("faq")
def eval_faq_cmd(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option(help="bq, atec, lcqmc, or gold (the gold items' paraphrases matched against all gold questions).")] = "bq",
    split: Annotated[str, typer.Option(help="Gold set half, for --dataset gold: dev, test or all.")] = "test",
    limit: Annotated[int, typer.Option(min=0, help="Use only the first N pairs of a public set (0 = all).")] = 0,
    datasets_dir: Annotated[Optional[Path], typer.Option(help="Where the public test splits are [default: KEFU_DATASETS_DIR].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
):
    """FAQ matching (questions against FAQ entries' questions) through the bot's own FAQ mode."""
    from eval.faq_bench import render_faq_table, run_faq_benchmark

    settings = _settings(ctx)
    try:
        result = run_faq_benchmark(settings, datasets_dir or settings.datasets_dir, dataset, limit, split=split)
    except (KefuError, OSError, ValueError) as exc:
        fail(exc)
    if as_json:
        print_json(result)
    else:
        typer.echo(render_faq_table([result]))


@app.command("bench")
def bench_cmd(
    ctx: typer.Context,
    quick: Annotated[bool, typer.Option("--quick", help="Tiny sizes and few repetitions: a smoke run, not numbers to publish.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also write the JSON result to this file.")] = None,
    sizes: Annotated[Optional[str], typer.Option(help="Synthetic knowledge-base sizes in chunks, comma-separated (default 10000,100000; with --quick 2000).")] = None,
    http: Annotated[bool, typer.Option(help="Include the HTTP section (starts kefu's server, then the naive peer's, on free loopback ports).")] = True,
):
    """Measure speed on this machine: stages, query encoders, HTTP, build, memory, scale, and the naive peer (in-process and over HTTP)."""
    from bench.report import render_bench
    from bench.run import DEFAULT_SIZES, QUICK_SIZES, BenchOptions, run_bench

    try:
        chosen = [int(s) for s in sizes.split(",")] if sizes else (QUICK_SIZES if quick else DEFAULT_SIZES)
    except ValueError:
        fail(ValueError(f"--sizes 需为逗号分隔的整数 / --sizes takes comma-separated integers, not {sizes!r}"))
    options = BenchOptions(quick=quick, sizes=chosen, http=http, progress=lambda text: err.print(f"[dim]bench: {text}[/dim]"))
    try:
        result = run_bench(_settings(ctx), options)
    except (KefuError, OSError, RuntimeError) as exc:
        fail(exc)
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if as_json:
        print_json(result)
    else:
        typer.echo(render_bench(result))


if __name__ == "__main__":
    app()
