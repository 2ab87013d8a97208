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
