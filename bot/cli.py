"""The `kefu` command. It parses arguments and delegates; the work lives in indexer/ and bot/."""

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from indexer.errors import KefuError
from indexer.settings import Settings, load_settings

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
):
    """Build kb/ into a new index version and make it current (or roll back)."""
    from indexer.build import build_index
    from indexer.settings import index_root
    from indexer.versions import previous_version, set_current

    settings = _settings(ctx)
    try:
        if rollback:
            root = index_root(settings)
            version = previous_version(root)
            set_current(root, version)
            err.print(f"current index version: {version}")
            return
        result = build_index(settings)
    except KefuError as exc:
        fail(exc)
    typer.echo(result.summary())


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
    from bot.retrieve.results import hits_to_json, render_hits
    from bot.retrieve.service import open_searcher

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
if __name__ == "__main__":
    app()
