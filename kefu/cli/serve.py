"""Serving commands: the HTTP service, and the ticket queue for an operator at a terminal."""

import os
from typing import Annotated, Optional

import typer
from rich.console import Console

from kefu.cli.base import KbOption, err, fail, settings_of
from kefu.errors import KefuError

tickets_app = typer.Typer(help="Tickets handed to people.", no_args_is_help=True)


def serve_cmd(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=16, help="Worker processes (each loads the model), each with a listening socket of its own (SO_REUSEPORT): the kernel spreads connections over them.")] = 1,
    access_log: Annotated[bool, typer.Option(help="Log a line per request.")] = True,
):
    """Serve the bot over HTTP: /api, /docs, the widget, console and editor pages."""
    import uvicorn

    from bot.auth import load_tokens
    from bot.serving import uvicorn_options
    from bot.supervise import APP, serve_workers

    settings = settings_of(ctx)
    tokens = load_tokens(settings)
    if tokens.path:
        err.print(f"agent/admin tokens: {tokens.path} (令牌文件 / token file)")
    err.print(f"serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    os.environ["KEFU_DATA_DIR"], os.environ["KEFU_KB_DIR"] = str(settings.data_dir), str(settings.kb_dir)
    options = {**uvicorn_options(settings), "log_level": "info", "access_log": access_log}
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, **options)
        return
    try:
        status = serve_workers(host, port, workers, options)
    except OSError as exc:
        fail(ValueError(f"无法监听 {host}:{port} / cannot listen on {host}:{port}: {exc.strerror or exc}"))
    raise typer.Exit(status)


def tickets_list_cmd(
    ctx: typer.Context,
    status: Annotated[Optional[str], typer.Option(help="open, assigned, resolved or closed.")] = None,
    priority: Annotated[Optional[str], typer.Option(help="urgent, high or normal.")] = None,
    kb: KbOption = None,
    limit: Annotated[int, typer.Option(min=1, max=200, help="Tickets shown (one page of the queue).")] = 50,
    offset: Annotated[int, typer.Option(min=0, help="Tickets skipped before the page.")] = 0,
):
    """The ticket queue, urgent and overdue first, one page at a time."""
    from rich.table import Table

    from bot.assemble import open_records
    from bot.auth import load_tokens

    settings = settings_of(ctx)
    records = open_records(settings, load_tokens(settings).ticket_key_secret)
    if records is None:
        fail(ValueError("工单库不可用 / the ticket store is unavailable"))
    try:
        page = records.list_tickets(status, priority, limit, offset, kb)
    except KefuError as exc:
        fail(exc)
    table = Table("id", "kb", "priority", "status", "reason", "name", "due")
    for row in page["tickets"]:
        table.add_row(row["id"], row["kb"] or "-", row["priority"], row["status"], row["reason"], row["name"], row["sla_due_at"].strftime("%m-%d %H:%M"))
    Console().print(table)
    shown = f"{offset + 1}-{offset + len(page['tickets'])}" if page["tickets"] else "0"
    more = f"; next: --offset {page['next_offset']}" if page["next_offset"] is not None else ""
    err.print(f"第 {shown} 张,共 {page['total']} 张 / tickets {shown} of {page['total']}{more}")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve_cmd)
    tickets_app.command("list")(tickets_list_cmd)
    app.add_typer(tickets_app, name="tickets")
