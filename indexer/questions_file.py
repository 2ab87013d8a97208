"""Associated questions written into a kb Markdown file, under the text of their passage:

    电话铃响3声内必须接听,……

    > 问法：电话响几声必须接

Only the `> 问法：` block right under the passage's last line changes; the manual's own lines
stay byte for byte. The edit is checked before it is written: the file, parsed again, must cut
into exactly the same passages (ids, headings, text) with only this passage's questions changed,
or nothing is written (a question block in the middle of an item or a table would cut it anew).
"""

from dataclasses import dataclass
from pathlib import Path

from indexer.build import chunk_documents
from indexer.chunk import Chunk
from indexer.load import document_from_bytes
from indexer.markdown import question_of, starts_question_line
from kefu.errors import DocumentUnreadable, KefuError
from kefu.settings import Settings
from kefu.text.normalize import fold_for_search, normalize_text

QUESTION_LINE = "> 问法：{}"
BOM = "\ufeff"


class PassageNotFound(KefuError):
    status, code = 404, "unknown_passage"


class QuestionsNotWritable(KefuError):
    status, code = 409, "questions_not_writable"


@dataclass(frozen=True)
class Edited:
    text: str  # the file's new text
    passage: Chunk  # the passage as the new text cuts it


def passages_of(path: Path, text: str, settings: Settings, kb: str) -> list[Chunk]:
    """The passages a build would cut from this text of the file (FAQ entries' questions included)."""
    return chunk_documents([document_from_bytes(path, text.encode("utf-8"))], settings, kb)


def passages_of_edit(path: Path, text: str, settings: Settings, kb: str) -> list[Chunk]:
    """passages_of the edited text; a text the parser refuses (a question under what the file
    shows as a heading) is an edit refused, with the parser's reason."""
    try:
        return passages_of(path, text, settings, kb)
    except DocumentUnreadable as exc:
        raise QuestionsNotWritable(f"问法不能写在这一段下,未保存 / questions cannot go under this passage; nothing was saved: {exc}") from None


def clean_questions(questions: list[str], implicit: tuple[str, ...]) -> list[str]:
    """Normalised as the parser will read them, blank ones and repeats (also of the implicit
    ones, an FAQ entry's own question) dropped, in the editor's order."""
    seen = {fold_for_search(q) for q in implicit}
    kept = []
    for question in questions:
        question = normalize_text(question).strip()
        if question and fold_for_search(question) not in seen:
            seen.add(fold_for_search(question))
            kept.append(question)
    return kept


def question_block(lines: list[str], last: int) -> tuple[int, int]:
    """The lines after line `last` that hold its question block: blank lines and `> 问法` lines."""
    end = last + 1
    while end < len(lines) and (not lines[end].strip() or starts_question_line(lines[end])):
        end += 1
    return last + 1, end


def new_block(lines: list[str], start: int, end: int, questions: list[str], eol: str) -> list[str]:
    """What replaces lines[start:end]: a blank line, the question lines (a kept question keeps
    its line as it was) and a blank line before what follows (none at the end of the file); the
    lines as they were when nothing is written there before or after."""
    old = lines[start:end]
    if not questions and not any(line.strip() for line in old):
        return old
    as_written = {question_of(normalize_text(line)): line for line in old if line.strip()}
    closing = eol if end < len(lines) else ""
    question_lines = [as_written.get(q) or QUESTION_LINE.format(q) + eol for q in questions]
    return [eol, *question_lines, closing] if questions else [closing]


def find_passage(chunks: list[Chunk], passage_id: str) -> Chunk:
    for chunk in chunks:
        if chunk.id == passage_id:
            return chunk
    raise PassageNotFound(f"没有段落 {passage_id} / no passage {passage_id!r} in this document")


def with_questions(path: Path, text: str, passage_id: str, questions: list[str], settings: Settings, kb: str) -> Edited:
    """The file's text with the passage's written questions replaced by `questions`."""
    has_bom, body = text.startswith(BOM), text.removeprefix(BOM)
    before = passages_of(path, body, settings, kb)
    target = find_passage(before, passage_id)
    lines = body.split("\n")
    normalized = document_from_bytes(path, body.encode("utf-8")).markdown
    if len(normalized.split("\n")) != len(lines):
        raise QuestionsNotWritable(f"{path.name}: 文件的换行无法对应,问法未保存 / the file's line breaks cannot be matched; nothing was saved")
    last = normalized.count("\n", 0, target.end)
    start, end = question_block(lines, last)
    written = [question_of(normalize_text(line)) for line in lines[start:end] if line.strip()]
    implicit = tuple(q for q in target.questions if q not in written)
    wanted = clean_questions(questions, implicit)
    block = new_block(lines, start, end, wanted, "\r" if lines[last].endswith("\r") else "")
    edited = "\n".join(lines[:start] + block + lines[end:])
    after = passages_of_edit(path, edited, settings, kb)
    check_same_cut(path, before, after, passage_id, (*implicit, *wanted))
    return Edited((BOM if has_bom else "") + edited, find_passage(after, passage_id))


def check_same_cut(path: Path, before: list[Chunk], after: list[Chunk], passage_id: str, expected: tuple[str, ...]) -> None:
    def shape(chunks):
        return [(c.id, c.section, c.text, c.kind) for c in chunks]

    others = [(c.id, c.questions) for c in before if c.id != passage_id], [(c.id, c.questions) for c in after if c.id != passage_id]
    if shape(before) == shape(after) and others[0] == others[1] and find_passage(after, passage_id).questions == expected:
        return
    if not expected:
        raise QuestionsNotWritable(
            f"{path.name}: 去掉这一段的全部问法会让它与相邻的短段落合并(切分改变),未保存;请至少保留一个问法 / "
            "without any question this passage would be packed with its short neighbours; keep at least one. Nothing was saved"
        )
    raise QuestionsNotWritable(
        f"{path.name}: 在这一段下写问法会改变文档的切分(它在一个条目或表格的中间),未保存;请写在该条目的最后一段 / "
        "questions under this passage would change how the document is cut (it is inside an item or a table); nothing was saved"
    )
