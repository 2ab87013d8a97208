"""The editors' to-do list: questions the bot could not answer, grouped by meaning."""

import numpy as np

from kefu.model import Encoder
from kefu.text.normalize import fold_for_search

SAME_QUESTION = 0.85  # m3e cosine above which two questions ask the same thing


def group_questions(questions: list[str], encoder: Encoder, threshold: float = SAME_QUESTION) -> list[dict]:
    """Greedy single-pass clustering in order of frequency: each question joins the first
    group whose representative it resembles, or starts a group. Largest groups first."""
    counts: dict[str, int] = {}
    for question in questions:
        counts[question] = counts.get(question, 0) + 1
    distinct = sorted(counts, key=lambda q: -counts[q])
    if not distinct:
        return []
    vectors = encoder.encode([fold_for_search(q) for q in distinct])
    groups: list[dict] = []
    representatives: list[np.ndarray] = []
    for question, vector in zip(distinct, vectors):
        similarities = [float(vector @ rep) for rep in representatives]
        best = int(np.argmax(similarities)) if similarities else -1
        if best >= 0 and similarities[best] >= threshold:
            groups[best]["count"] += counts[question]
            groups[best]["examples"].append(question)
        else:
            representatives.append(vector)
            groups.append({"question": question, "count": counts[question], "examples": [question]})
    return sorted(groups, key=lambda g: -g["count"])
