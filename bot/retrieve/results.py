"""Search results for people (a terminal table) and for programs (the citation JSON shape)."""

from rich.console import Console
from rich.table import Table

from bot.retrieve.search import Hit


def hit_to_json(hit: Hit) -> dict:
    chunk = hit.chunk
    return {
        "id": chunk.id,
        "kb": chunk.kb,
        "doc": chunk.doc,
        "title": chunk.title,
        "section": chunk.section,
        "text": chunk.text,
        "score": round(hit.score, 6),
        "dense_score": None if hit.dense_score is None else round(hit.dense_score, 6),
        "bm25_score": None if hit.sparse_score is None else round(hit.sparse_score, 6),
        "question": hit.question,
        "question_score": None if hit.question_score is None else round(hit.question_score, 6),
    }


def matches_nothing(hits: list[Hit], dense_floor: float) -> bool:
    """No result shares a word with the query and none is close in meaning: the query matched
    nothing (xyzqqq), however many passages the dense search ranked (the floor was measured:
    python -m eval.search_floor)."""
    return not any(hit.sparse_score for hit in hits) and max((hit.dense_score or 0.0 for hit in hits), default=0.0) < dense_floor


def hits_to_json(query: str, hits: list[Hit]) -> dict:
    return {"query": query, "results": [hit_to_json(h) for h in hits]}


def _fmt(score: float | None) -> str:
    return "-" if score is None else f"{score:.3f}"


def render_hits(query: str, results: list[dict], console: Console) -> None:
    """Results in the citation shape (hit_to_json) as a table for a terminal."""
    if not results:
        console.print(f"「{query}」: 没有结果 / no results")
        return
    table = Table(title=f"「{query}」", show_lines=True)
    for column in ("#", "score", "dense", "bm25", "问法", "section / source", "text"):
        table.add_column(column)
    for rank, hit in enumerate(results, start=1):
        where = f"{hit['section']}\n[dim]{hit['kb']}/{hit['doc']}[/dim]"
        matched = f"{hit['question']} ({_fmt(hit['question_score'])})" if hit["question"] else "-"
        table.add_row(str(rank), f"{hit['score']:.4f}", _fmt(hit["dense_score"]), _fmt(hit["bm25_score"]), matched, where, hit["text"])
    console.print(table)
