"""Knowledge-base commands: import captures, build or roll back indexes, list kbs and passages."""

from pathlib import Path
from typing import Annotated, Optional

import typer

from kefu.cli.base import KbOption, err, fail, print_json, settings_of
from kefu.errors import KefuError

kb_app = typer.Typer(help="Knowledge bases: one folder each under kb/ (kb/<id>/kb.yaml and its manuals).", no_args_is_help=True)


def import_cmd(
    ctx: typer.Context,
    files: Annotated[list[Path], typer.Argument(help="Raw manual captures (.txt) to turn into Markdown.")],
    kb: Annotated[str, typer.Option("--kb", help="The knowledge base to import into (see `kefu kb list`).")],
    overwrite: Annotated[bool, typer.Option(help="Replace existing kb files (hand corrections are lost).")] = False,
):
    """Import raw web captures of manuals into a knowledge base's folder as Markdown with front matter."""
    from indexer.importer import import_capture
    from kefu.kbs import find_kb

    try:
        folder = find_kb(settings_of(ctx), kb).folder
    except KefuError as exc:
        fail(exc)
    failures = 0
    for source in files:
        try:
            result = import_capture(source, folder, overwrite=overwrite)
            err.print(f"{source.name} -> {result.path} ({result.title})")
        except KefuError as exc:
            failures += 1
            err.print(f"[red]错误 / error:[/red] {exc}")
    if failures:
        raise typer.Exit(1)


def build_progress(tenths_from: int = 100):
    """The build's progress for a person, on stderr: a line when a stage starts and ends, and
    for long stages (embedding: `tenths_from` units or more) one per tenth done, so a log or a
    terminal can follow it."""
    shown: dict[str, int] = {}

    def report(stage: str, done: int, total: int) -> None:
        step = total // 10 if total >= tenths_from else total
        if shown.get(stage) == total or (stage in shown and done < total and done - shown[stage] < step):
            return
        shown[stage] = done
        err.print(f"[dim]{stage}: {done}/{total}[/dim]", highlight=False)

    return report


def index_cmd(
    ctx: typer.Context,
    kb: KbOption = None,
    rollback: Annotated[bool, typer.Option(help="Switch the kb back to its previous index version, and its documents to those it was built from, instead of building (needs --kb).")] = False,
    version: Annotated[Optional[str], typer.Option(help="With --rollback: the kept version to switch to (default: the one before the current).")] = None,
    force: Annotated[bool, typer.Option(help="Make the new version current even if the quality gate fails.")] = False,
):
    """Build each knowledge base (or the one named) into a new index version and make it current.

    Before switching, the kb's gold dev questions run against the new version; a drop of hybrid
    Recall@5 beyond KEFU_QUALITY_GATE_MAX_DROP refuses the switch unless --force."""
    from bot.gate import quality_gate
    from bot.retrieve.query_encoder import QueryEncoder
    from indexer.build import build_index, build_lock
    from indexer.kb_snapshots import roll_back
    from kefu.kbs import find_kb, list_kbs
    from kefu.model import Encoder
    from kefu.settings import index_root
    from kefu.text.tokenize import Tokenizer

    settings = settings_of(ctx)
    try:
        if rollback:
            if not kb:
                fail(ValueError("回滚需要 --kb / --rollback needs --kb: each knowledge base has its own versions"))
            with build_lock(index_root(settings, find_kb(settings, kb).id)):  # not while a build of this kb runs, here or in a server
                version, documents = roll_back(settings, find_kb(settings, kb).id, version)
            err.print(f"{kb}: current index version {version}")
            for change in ("restored", "removed", "missing"):
                if documents[change]:
                    err.print(f"{kb}: documents {change}: {', '.join(documents[change])}")
            return
        names = [find_kb(settings, kb).id] if kb else [known.id for known in list_kbs(settings)]
        if not names:
            fail(ValueError(f"{settings.kb_dir}: 没有知识库 / no knowledge bases: create one with `kefu kb create`"))
        encoder, tokenizer = Encoder(settings), Tokenizer()
        queries = QueryEncoder(encoder, settings)
        for name in names:
            gate = None if force else quality_gate(settings, queries, tokenizer, name)
            result = build_index(settings, name, encoder=encoder, gate=gate, tokenizer=tokenizer, progress=build_progress())
            typer.echo(result.summary())
    except KefuError as exc:
        fail(exc)


def kb_list_cmd(ctx: typer.Context, as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False):
    """The knowledge bases with their documents (title, and the raw file each was imported from)."""
    from indexer.build import load_documents
    from kefu.kbs import list_kbs

    try:
        listing = [
            {"id": kb.id, "name": kb.name, "organization": kb.organization,
             "documents": [{"doc": d.doc_id, "title": d.title, "source": d.meta.get("source")} for d in load_documents(kb.folder)]}
            for kb in list_kbs(settings_of(ctx))
        ]
    except KefuError as exc:
        fail(exc)
    if as_json:
        print_json(listing)
        return
    for kb in listing:
        typer.echo(f"{kb['id']}: {kb['name']} ({kb['organization']})")
        for doc in kb["documents"]:
            typer.echo(f"    {doc['doc']}  {doc['title']}" + (f"  ← {doc['source']}" if doc["source"] else ""))


def kb_passages_cmd(ctx: typer.Context, kb: Annotated[str, typer.Option("--kb", help="Knowledge-base id.")], as_json: Annotated[bool, typer.Option("--json", help="One JSON object per passage.")] = False):
    """The kb's passages as the indexer cuts them, each with its associated questions (read from kb/, no index needed)."""
    from indexer.build import chunk_documents, load_documents
    from kefu.kbs import find_kb

    settings = settings_of(ctx)
    try:
        chunks = chunk_documents(load_documents(find_kb(settings, kb).folder), settings, kb)
    except KefuError as exc:
        fail(exc)
    for chunk in chunks:
        passage = {"id": chunk.id, "doc": chunk.doc, "section": chunk.section, "text": chunk.text, "questions": list(chunk.questions)}
        if as_json:
            print_json(passage)
        else:
            typer.echo(f"{chunk.id}  {chunk.section}\n    {chunk.text[:60]}…  [{len(chunk.questions)} 问法]")


def kb_create_cmd(
    ctx: typer.Context,
    kb: Annotated[str, typer.Argument(help="The new kb's id: lowercase ASCII, digits and '-' (e.g. dairy).")],
    name: Annotated[str, typer.Option(help="Its name, as customers see it.")],
    organization: Annotated[str, typer.Option(help="The company it serves.")],
    greeting: Annotated[str, typer.Option(help="The widget's greeting.")],
    hotline: Annotated[Optional[str], typer.Option(help="The service hotline, if the manual states one.")] = None,
):
    """Create an empty knowledge base (kb/<id>/kb.yaml); import or copy its manuals, then `kefu index --kb <id>`."""
    from kefu.kbs import create_kb

    try:
        created = create_kb(settings_of(ctx), kb, name, organization, greeting, hotline)
    except KefuError as exc:
        fail(exc)
    err.print(f"created {created.folder}")


def register(app: typer.Typer) -> None:
    app.command("import")(import_cmd)
    app.command("index")(index_cmd)
    kb_app.command("list")(kb_list_cmd)
    kb_app.command("passages")(kb_passages_cmd)
    kb_app.command("create")(kb_create_cmd)
    app.add_typer(kb_app, name="kb")


