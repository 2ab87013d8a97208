"""The editors' loop: what customers asked that the manuals did not answer, grouped by meaning,
and the 没帮助 answers, each listed until the kb answers it.

A question leaves the list when it is one of the kb's associated questions (an editor linked it
to a passage, or wrote an FAQ entry for it), or when the version being served answers it
confidently (asked again, unrecorded, once per version): recomputed from the kb and the index,
never a hidden flag.

The cost is bounded whatever customers typed: the newest MAX_ROWS questions of the window, each
masked (bot.personal_data) and cut to GROUP_CHARS before it is grouped, checked or offered as
an associated question; masks, vectors and answers cached; at most CHECK_SECONDS of checking
per request (the rest is counted as `rechecking`, and checked on the next); a page of groups.
"""

import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from bot.kb_files import KbFiles
from bot.personal_data import mask_personal
from bot.service import BotService
from kefu.errors import KefuError
from kefu.kbs import KnowledgeBase
from kefu.text.normalize import fold_for_search
from kefu.vocab import Band, Persona

SAME_QUESTION = 0.85  # m3e cosine above which two questions ask the same thing
GROUP_CHARS = 100  # what of a question is grouped, checked and may become an associated question
SHOWN_CHARS = 200  # what of it an editor sees
MASK_MARGIN = 40  # masked with this much more, so a number cut at the edge is still recognised
MAX_ROWS = 2000  # the newest questions of a window that are grouped
CHECK_SECONDS = 1.5  # asking the served version again, per request
EXAMPLES = 10  # ways of asking shown per group
LINKABLE = 50  # of a group's questions offered as associated questions
CACHE_SIZE = 20_000


@dataclass(frozen=True)
class Asked:
    """One customer's question as editors see it."""

    shown: str  # masked, cut to SHOWN_CHARS
    text: str  # masked, cut to GROUP_CHARS
    key: str  # text folded: equal keys are one question


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit].rstrip() + "…"


def as_seen(question: str) -> Asked:
    masked = mask_personal(question[: SHOWN_CHARS + MASK_MARGIN]).strip()
    text = masked[:GROUP_CHARS].strip()
    return Asked(cut(masked, SHOWN_CHARS), text, fold_for_search(text))


class Bounded(OrderedDict):
    """A dict that forgets its least recently used entries past `size`."""

    def __init__(self, size: int):
        super().__init__()
        self.size = size

    def remember(self, key, value):
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)
        return value


def tally(rows: list[dict], seen) -> dict[str, dict]:
    """Distinct questions by key: how often asked, when last, the ways they were written."""
    counts: dict[str, dict] = {}
    for row in rows:
        asked = seen(row["question"])
        if not asked.key:
            continue
        entry = counts.setdefault(asked.key, {"asked": asked, "count": 0, "last": row["created_at"], "shown": []})
        entry["count"] += 1
        entry["last"] = max(entry["last"], row["created_at"])
        if asked.shown not in entry["shown"]:
            entry["shown"].append(asked.shown)
    return counts


def group_questions(entries: list[dict], vectors: np.ndarray, threshold: float = SAME_QUESTION) -> list[dict]:
    """Greedy single-pass clustering in order of frequency: each question joins the first group
    whose representative it resembles, or starts one. Largest groups first."""
    groups: list[dict] = []
    representatives = np.zeros((len(entries), vectors.shape[1] if len(vectors) else 0), np.float32)
    for entry, vector in zip(entries, vectors):
        similarities = representatives[: len(groups)] @ vector
        best = int(np.argmax(similarities)) if len(groups) else -1
        if best >= 0 and similarities[best] >= threshold:
            group = groups[best]
        else:
            representatives[len(groups)] = vector
            group = {"id": hashlib.sha1(entry["asked"].key.encode("utf-8")).hexdigest()[:12], "question": entry["asked"].shown, "count": 0, "last_asked": entry["last"], "examples": [], "questions": []}
            groups.append(group)
        group["count"] += entry["count"]
        group["last_asked"] = max(group["last_asked"], entry["last"])
        group["examples"] += entry["shown"]
        group["questions"].append(entry["asked"].text)
    for group in groups:
        group["distinct"], group["examples"], group["questions"] = len(group["examples"]), group["examples"][:EXAMPLES], group["questions"][:LINKABLE]
    return sorted(groups, key=lambda g: (-g["count"], -g["last_asked"].timestamp()))


def page_of(items: list, limit: int, offset: int) -> dict:
    following = offset + limit
    return {"total": len(items), "limit": limit, "offset": offset, "next_offset": following if following < len(items) else None}


class Loop:
    """The loop's caches for one service: masks and vectors by question, and per kb which
    questions its served version answers. Thread-safe."""

    def __init__(self, service: BotService, files: KbFiles):
        self.service = service
        self.files = files
        self._seen: Bounded = Bounded(CACHE_SIZE)
        self._vectors: Bounded = Bounded(CACHE_SIZE)
        self._answered: dict[str, tuple[str, dict[str, bool]]] = {}
        self._lock = threading.Lock()

    def seen(self, question: str) -> Asked:
        with self._lock:
            known = self._seen.get(question)
        return known or self._remember(self._seen, question, as_seen(question))

    def _remember(self, cache: Bounded, key, value):
        with self._lock:
            return cache.remember(key, value)

    def vector(self, asked: Asked) -> np.ndarray:
        with self._lock:
            known = self._vectors.get(asked.key)
        return known if known is not None else self._remember(self._vectors, asked.key, self.service.queries.encode(asked.text))

    def answered(self, kb: str, entries: list[dict], deadline: float) -> tuple[set[str], int]:
        """The keys the kb's served version answers confidently, and how many are not checked yet."""
        reader = self.service.readers.get(kb)
        if reader is None:
            return set(), 0
        with self._lock:
            version, known = self._answered.get(kb, (None, {}))
            if version != reader.version:
                known = {}
                self._answered[kb] = (reader.version, known)
        unchecked = 0
        for entry in entries:
            key = entry["asked"].key
            if key in known:
                continue
            if time.monotonic() > deadline:
                unchecked += 1
                continue
            known[key] = self.answers(entry["asked"].text, kb)
        return {key for key, yes in known.items() if yes}, unchecked

    def answers(self, text: str, kb: str) -> bool:
        try:
            return self.service.decide(text, Persona.customer, 0, kb).band == Band.answer
        except KefuError:  # the kb lost its index meanwhile: not answered
            return False

    def unanswered(self, kb: KnowledgeBase, rows: list[dict], limit: int, offset: int) -> dict:
        """One page of the groups of `rows` (the window's unanswered questions, newest first)."""
        deadline = time.monotonic() + CHECK_SECONDS
        linked = self.files.question_keys(kb, GROUP_CHARS)
        counts = tally(rows[:MAX_ROWS], self.seen)
        entries = sorted((e for key, e in counts.items() if key not in linked), key=lambda e: -e["count"])
        answered, rechecking = self.answered(kb.id, entries, deadline)
        open_entries = [e for e in entries if e["asked"].key not in answered]
        vectors = np.stack([self.vector(e["asked"]) for e in open_entries]) if open_entries else np.zeros((0, 0), np.float32)
        groups = group_questions(open_entries, vectors)
        shown = groups[offset: offset + limit]
        return {"groups": shown, **page_of(groups, limit, offset), "asked": min(len(rows), MAX_ROWS), "truncated": len(rows) > MAX_ROWS, "rechecking": rechecking}

    def feedback(self, kb: KnowledgeBase, rows: list[dict], limit: int, offset: int) -> dict:
        """One page of the 没帮助 answers (`rows`, newest first) whose question no passage has taken."""
        linked = self.files.question_keys(kb, GROUP_CHARS)
        items = []
        for row in rows[:MAX_ROWS]:
            asked = self.seen(row["question"])
            if asked.key in linked:
                continue
            comment = self.seen(row["comment"]).shown if row["comment"] else None
            items.append({**row, "question": asked.shown, "text": asked.text, "comment": comment, "answer": cut(row["answer"], 500)})
        return {"items": items[offset: offset + limit], **page_of(items, limit, offset)}
