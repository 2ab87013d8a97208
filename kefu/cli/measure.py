"""Measuring commands: `eval` (quality on the gold set, FAQ matching on public sets) and `bench` (speed)."""

import json
from pathlib import Path
from typing import Annotated, Optional

import typer

from kefu.cli.base import KbOption, err, fail, print_json, settings_of
from kefu.errors import KefuError

eval_app = typer.Typer(help="Measure quality: the gold set (default) or the public FAQ-matching sets.", invoke_without_command=True)


def eval_cmd(
    ctx: typer.Context,
    gold: Annotated[Optional[Path], typer.Option(help="Gold question set (JSON lines) [default: KEFU_GOLD_PATH, else eval/gold.jsonl].")] = None,
    split: Annotated[str, typer.Option(help="dev, test or all.")] = "test",
    kb: KbOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON instead of tables.")] = False,
    report: Annotated[Optional[Path], typer.Option(help="Folder for report.json, report.md, reliability.png [default: <data_dir>/eval/<split>].")] = None,
):
    """Retrieval per persona and per kb with ablations, answers, handoff, calibration, latency — one run.

    Each question is asked in its own kb (as that company's widget would), and again with no kb."""
    if ctx.invoked_subcommand:
        return
    from bot.assemble import open_bot
    from eval.report import to_markdown, write_report
    from eval.run import evaluate
    from kefu.gold import check_split, gold_file, load_gold

    settings = settings_of(ctx)
    gold = gold or gold_file(settings)
    try:
        items = [item for item in load_gold(gold, check_split(split)) if kb is None or item.kb == kb]
        if not items:
            fail(ValueError(f"{gold}: {split} 部分没有问题 / no questions in the {split} split" + (f" for {kb}" if kb else "")))
        result = evaluate(open_bot(settings, store=False).service, items, split)
    except (KefuError, OSError, ValueError) as exc:
        fail(exc)
    paths = write_report(result, report or settings.data_dir / "eval" / split)
    if as_json:
        print_json(result)
    else:
        typer.echo(to_markdown(result))
    err.print("report: " + ", ".join(str(p) for p in paths))


def eval_faq_cmd(
    ctx: typer.Context,
    dataset: Annotated[str, typer.Option(help="bq, atec, lcqmc, or gold (the gold items' paraphrases matched against all gold questions).")] = "bq",
    split: Annotated[str, typer.Option(help="Gold set half, for --dataset gold: dev, test or all.")] = "test",
    limit: Annotated[int, typer.Option(min=0, help="Use only the first N pairs of a public set (0 = all).")] = 0,
    datasets_dir: Annotated[Optional[Path], typer.Option(help="Where the public test splits are [default: KEFU_DATASETS_DIR].")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
):
    """FAQ matching: questions against questions, through the bot's associated-question channels."""
    from eval.faq_bench import render_faq_table, run_faq_benchmark

    settings = settings_of(ctx)
    try:
        result = run_faq_benchmark(settings, datasets_dir or settings.datasets_dir, dataset, limit, split=split)
    except (KefuError, OSError, ValueError) as exc:
        fail(exc)
    if as_json:
        print_json(result)
    else:
        typer.echo(render_faq_table([result]))


def bench_cmd(
    ctx: typer.Context,
    quick: Annotated[bool, typer.Option("--quick", help="Tiny sizes and few repetitions: a smoke run, not numbers to publish.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON instead of tables.")] = False,
    out: Annotated[Optional[Path], typer.Option("--out", help="Also write the JSON result to this file.")] = None,
    sizes: Annotated[Optional[str], typer.Option(help="Synthetic knowledge-base sizes in chunks, comma-separated (default 10000,100000; with --quick 2000).")] = None,
    http: Annotated[bool, typer.Option(help="Include the HTTP section (starts kefu's server, then the naive peer's, on free loopback ports).")] = True,
    e2e_chunks: Annotated[Optional[int], typer.Option("--e2e-chunks", min=0, help="Chunks of the synthetic kb served and driven over HTTP end to end (default 10000; with --quick 300; 0 leaves it out; 100000, the issue's size, takes 8-20 min here).")] = None,
):
    """Measure speed on this machine: stages, query encoders, HTTP, build, memory, scale (and a synthetic kb served end to end), and the naive peer (in-process and over HTTP)."""
    from bench.report import render_bench
    from bench.run import DEFAULT_E2E_CHUNKS, DEFAULT_SIZES, QUICK_E2E_CHUNKS, QUICK_SIZES, BenchOptions, run_bench

    try:
        chosen = [int(s) for s in sizes.split(",")] if sizes else (QUICK_SIZES if quick else DEFAULT_SIZES)
    except ValueError:
        fail(ValueError(f"--sizes 需为逗号分隔的整数 / --sizes takes comma-separated integers, not {sizes!r}"))
    e2e = e2e_chunks if e2e_chunks is not None else (QUICK_E2E_CHUNKS if quick else DEFAULT_E2E_CHUNKS)
    options = BenchOptions(quick=quick, sizes=chosen, http=http, e2e_chunks=e2e, progress=lambda text: err.print(f"[dim]bench: {text}[/dim]"))
    try:
        result = run_bench(settings_of(ctx), options)
    except (KefuError, OSError, RuntimeError) as exc:
        fail(exc)
    if out:
        out.write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    if as_json:
        print_json(result)
    else:
        typer.echo(render_bench(result))


def register(app: typer.Typer) -> None:
    eval_app.callback()(eval_cmd)
    eval_app.command("faq")(eval_faq_cmd)
    app.add_typer(eval_app, name="eval")
    app.command("bench")(bench_cmd)
