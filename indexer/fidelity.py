"""Proof that kb/ quotes its manuals: every sentence of a kb file stands in its raw capture.

"Stands in" allows for exactly what the importer removes (site noise, page lines, preview
numbers, doubled runs, white space): the reference is the cleaned capture, and the cleaning
itself is checked to be deletion only (`is_deletion_of`). Associated-question lines
(`> 问法：…`) are the editors' words, not the manual's: they, and only they, are exempt.
"""

import re

from indexer.clean import clean_capture
from indexer.markdown import TABLE_RULE, is_question_line, parse_markdown
from kefu.text.normalize import compact, normalize_text
from kefu.text.sentences import split_sentences

_MARKUP = re.compile(r"^(#{1,6}\s+|-\s+|\*\s+|>\s*)|\*\*")


def markdown_sentences(body: str) -> list[str]:
    """The sentences of a Markdown body, with heading, list, table and emphasis marks removed;
    associated-question lines are not the manual's and are left out."""
    sentences = []
    for line in body.splitlines():
        line = line.strip()
        if not line or TABLE_RULE.match(line) or is_question_line(line):
            continue
        cells = line.strip("|").split("|") if line.startswith("|") else [line]
        for cell in cells:
            sentences += split_sentences(_MARKUP.sub("", cell.strip()))
    return sentences


def reference_text(raw: str) -> str:
    title, paragraphs = clean_capture(raw)
    return compact(title + "".join(paragraphs))


def is_deletion_of(cleaned: str, raw: str) -> bool:
    """True when `cleaned` is `raw` with characters deleted (a subsequence): nothing added."""
    remaining = iter(compact(raw))
    return all(ch in remaining for ch in cleaned)


def with_doubled_characters(needle: str) -> re.Pattern:
    """Matches `needle` in text where any of its characters may stand twice: the PPT
    capture's doubling that an editor removed by hand ("上报至至400" -> "上报至400")."""
    return re.compile("".join(f"{re.escape(ch)}(?:{re.escape(ch)})?" for ch in needle))


def stands_in(needle: str, reference: str) -> bool:
    return needle in reference or bool(with_doubled_characters(needle).search(reference))


def unquoted_sentences(markdown: str, raw: str) -> list[str]:
    """Sentences of a kb file that its raw capture does not contain."""
    reference = reference_text(raw)
    body = parse_markdown(markdown).body
    missing = []
    for sentence in markdown_sentences(body):
        needle = compact(sentence)
        if needle and re.search(r"\w", needle) and not stands_in(needle, reference):
            missing.append(normalize_text(sentence))
    return missing
