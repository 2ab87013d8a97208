"""您是想问: up to three passages the question may be after, each offered as a question a person
would ask (its best-matching associated question, or else its heading), never a fragment of its
text or a table's header row. Choosing one asks for that passage by id."""

from bot.retrieve.search import Hit
from indexer.chunk import PATH_SEPARATOR
from indexer.numbering import leading_marker
from kefu.text.sentences import SENTENCE_END
from kefu.vocab import ChunkKind

MIN_HEADING_CHARS = 4  # "第六条" or "1、" alone says nothing a customer would pick


def heading_as_question(hit: Hit) -> str | None:
    """The passage's own heading without its numbering mark, when it says something."""
    heading = hit.chunk.section.split(PATH_SEPARATOR)[-1].strip()
    marker = leading_marker(heading)
    title = heading[len(marker.text):].strip(" .、:") if marker else heading
    if len(title) < MIN_HEADING_CHARS or any(mark in title for mark in SENTENCE_END) or hit.chunk.kind == ChunkKind.table_row:
        return None
    return title


def option_for(hit: Hit) -> str | None:
    return hit.question or (hit.chunk.questions[0] if hit.chunk.questions else None) or heading_as_question(hit)


def suggestions_from(hits: list[Hit], limit: int = 3) -> list[dict]:
    """Up to `limit` distinct passages, each with the question it is offered as."""
    picks, seen = [], set()
    for hit in hits:
        question = option_for(hit)
        if question is None or hit.chunk.id in seen or question in {p["question"] for p in picks}:
            continue
        seen.add(hit.chunk.id)
        picks.append({"id": hit.chunk.id, "kb": hit.chunk.kb, "title": hit.chunk.title, "section": hit.chunk.section, "question": question})
        if len(picks) == limit:
            break
    return picks
