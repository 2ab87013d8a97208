"""What a tune learns from, taken from the knowledge bases alone (never from the gold set): each
associated question, FAQ question and distinctive heading paired with its passage, and a
held-out slice of each kb's questions to stop on and to choose the weight average by.

Both sides are in the written form retrieval sees (`spoken_to_written`: folded, spoken forms
written as the manuals write them), as the index embeds its texts and the query encoder a query.
The passage side is embedded as the dense index embeds a unit, under its heading; it is the
passage's whole text, one text per passage, so a batch without duplicate texts is a batch without
a duplicate passage.
"""

import hashlib
import json
import re
from dataclasses import asdict, dataclass

from indexer.chunk import PATH_SEPARATOR, Chunk
from indexer.faq import entry_question
from indexer.numbering import leading_marker
from kefu.text.colloquial import spoken_to_written

QUESTION, FAQ, HEADING = "question", "faq", "heading"
_HAN = re.compile(r"[\u4e00-\u9fff]")
_MIN_HEADING_HAN = 2


@dataclass(frozen=True)
class Pair:
    kb: str
    source: str  # QUESTION, FAQ or HEADING
    anchor: str  # the question side, written form
    positive: str  # the passage as embedded
    passage: str  # its chunk id


@dataclass(frozen=True)
class HeldOutQuestion:
    kb: str
    question: str  # written form
    passages: frozenset[str]  # the chunk ids it was written under


@dataclass(frozen=True)
class TuneData:
    pairs: list[Pair]
    held_out: list[HeldOutQuestion]
    passages: dict[str, list[Chunk]]  # by kb: what the held-out questions are searched against

    def counts(self) -> dict[str, dict[str, int]]:
        """Per kb: its passages, training pairs by source, and held-out questions."""
        counts = {kb: {"passages": len(chunks), QUESTION: 0, FAQ: 0, HEADING: 0, "held_out": 0} for kb, chunks in self.passages.items()}
        for pair in self.pairs:
            counts[pair.kb][pair.source] += 1
        for item in self.held_out:
            counts[item.kb]["held_out"] += 1
        return counts

    def data_hash(self) -> str:
        """sha256 of the pairs and the held-out slice: the same kbs and seed give the same hash."""
        rows = [json.dumps(asdict(p), ensure_ascii=False, sort_keys=True) for p in self.pairs]
        rows += [json.dumps([h.kb, h.question, sorted(h.passages)], ensure_ascii=False) for h in self.held_out]
        return hashlib.sha256("\n".join(rows).encode("utf-8")).hexdigest()


def passage_text(chunk: Chunk) -> str:
    """The passage under its last heading, as Chunk.unit_index_texts writes each of its units."""
    heading = chunk.section.split(PATH_SEPARATOR)[-1] if PATH_SEPARATOR in chunk.section else ""
    return spoken_to_written(f"{heading} {chunk.text}" if heading else chunk.text)


def held_out_count(questions: int, fraction: float) -> int:
    """A fraction of a kb's questions, at least one once it has two (one question is kept to train on)."""
    return max(1, round(questions * fraction)) if questions >= 2 else 0


def split_questions(questions: list[str], kb: str, fraction: float, seed: int) -> set[str]:
    """The held-out questions: the first by a seeded hash of kb and text, so a question stays on
    its side when others are added or reordered."""
    ranked = sorted(set(questions), key=lambda q: hashlib.sha256(f"{seed}\x1f{kb}\x1f{q}".encode("utf-8")).hexdigest())
    return set(ranked[: held_out_count(len(ranked), fraction)])


def question_owners(chunks: list[Chunk]) -> dict[str, tuple[str, set[str]]]:
    """Each question of the kb, in its written form: its source (FAQ or manual) and the passages it is written under."""
    owners: dict[str, tuple[str, set[str]]] = {}
    for chunk in chunks:
        for question in chunk.questions:
            source = FAQ if question == entry_question(chunk) else QUESTION
            owners.setdefault(spoken_to_written(question), (source, set()))[1].add(chunk.id)
    return owners


def heading_anchor(chunk: Chunk) -> str | None:
    """The passage's last heading without its numbering mark, when it says something (第六条 alone does not)."""
    if PATH_SEPARATOR not in chunk.section:
        return None
    heading = chunk.section.split(PATH_SEPARATOR)[-1]
    marker = leading_marker(heading)
    words = heading[len(marker.text):].strip() if marker else heading
    return spoken_to_written(words) if len(_HAN.findall(words)) >= _MIN_HEADING_HAN else None


def heading_pairs(kb: str, chunks: list[Chunk], taken: set[str]) -> list[Pair]:
    """Heading → passage, for headings over exactly one passage of the kb and not already a question."""
    anchors: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        anchor = heading_anchor(chunk)
        if anchor and anchor not in taken:
            anchors.setdefault(anchor, []).append(chunk)
    return [Pair(kb, HEADING, anchor, passage_text(only[0]), only[0].id) for anchor, only in anchors.items() if len(only) == 1]


def kb_data(kb: str, chunks: list[Chunk], fraction: float, seed: int) -> tuple[list[Pair], list[HeldOutQuestion]]:
    owners = question_owners(chunks)
    held = split_questions(list(owners), kb, fraction, seed)
    by_id = {chunk.id: chunk for chunk in chunks}
    pairs = [
        Pair(kb, source, question, passage_text(by_id[cid]), cid)
        for question, (source, cids) in owners.items() if question not in held
        for cid in sorted(cids)
    ]
    held_out = [HeldOutQuestion(kb, q, frozenset(owners[q][1])) for q in sorted(held)]
    return pairs + heading_pairs(kb, chunks, set(owners)), held_out


def tune_data(passages: dict[str, list[Chunk]], fraction: float, seed: int) -> TuneData:
    """Training pairs and the held-out slice of every kb given (its passages by kb)."""
    pairs, held_out = [], []
    for kb, chunks in passages.items():
        kb_pairs, kb_held = kb_data(kb, chunks, fraction, seed)
        pairs += kb_pairs
        held_out += kb_held
    return TuneData(pairs, held_out, passages)
