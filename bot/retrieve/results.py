"""Search results for people (a terminal table) and for programs (the citation JSON shape)."""

from rich.console import Console
from rich.table import Table

from bot.retrieve.search import Hit


def hit_to_json(hit: Hit) -> dict:
    chunk = hit.chunk
    return {
        "id": chunk.id,
        "doc": chunk.doc,
        "title": chunk.title,
        "section": chunk.section,
        "text": chunk.text,
        "score": round(hit.score, 6),
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 6),
        "bm25_score": None if hit.sparse_score is None else round(hit.sparse_score, 6),
    }


def hits_to_json(query: str, hits: list[Hit]) -> dict:
    return {"query": query, "results": [hit_to_json(h) for h in hits]}


def _fmt(score: float | None) -> str:
    return "-" if score is None else f"{score:.3f}"


def render_hits(query: str, hits: list[Hit], console: Console) -> None:
    table = Table(title=f"「{query}」", show_lines=True)
    for column in ("#", "score", "dense", "bm25", "section / source", "text"):
        table.add_column(column)
    for rank, hit in enumerate(hits, start=1):
        where = f"{hit.chunk.section}\n[dim]{hit.chunk.doc}[/dim]"
        table.add_row(str(rank), f"{hit.score:.4f}", _fmt(hit.dense_score), _fmt(hit.sparse_score), where, hit.chunk.text)
    if not hits:
        console.print(f"「{query}」: 没有结果 / no results")
    else:
        console.print(table)
