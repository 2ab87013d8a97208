"""What every command shares: the app, the settings from the callback, output and failure."""

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console

from kefu.settings import Settings, load_settings

app = typer.Typer(
    help="kefu: 客服知识库机器人 / a customer-service knowledge-base bot that quotes its manuals.",
    no_args_is_help=True,
    add_completion=False,
)
err = Console(stderr=True)
KbOption = Annotated[Optional[str], typer.Option("--kb", help="Knowledge-base id (see `kefu kb list`).")]


@app.callback()
def main(
    ctx: typer.Context,
    data_dir: Annotated[Optional[Path], typer.Option(help="Runtime data folder (KEFU_DATA_DIR).")] = None,
    kb_dir: Annotated[Optional[Path], typer.Option(help="Folder of the knowledge bases, one sub-folder each (KEFU_KB_DIR).")] = None,
):
    overrides = {k: v for k, v in {"data_dir": data_dir, "kb_dir": kb_dir}.items() if v is not None}
    try:
        ctx.obj = load_settings(**overrides)
    except ValueError as exc:
        err.print(f"[red]设置错误 / invalid settings:[/red] {exc}")
        raise typer.Exit(2) from exc


def settings_of(ctx: typer.Context) -> Settings:
    return ctx.obj


def fail(exc: Exception) -> None:
    err.print(f"[red]错误 / error:[/red] {exc}")
    raise typer.Exit(1)


def print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False, default=str) + "\n")
