"""Chunking invariants on the real kb/."""

import re

import pytest

from indexer.chunk import PATH_SEPARATOR, Unit, chunk_document, pack_units
from indexer.load import list_kb_files, read_document
from indexer.numbering import CN_NUM, MARKER, leading_marker
from kefu.settings import Settings

from conftest import KB_DIR

MIN, MAX = Settings.model_fields["chunk_min_chars"].default, Settings.model_fields["chunk_max_chars"].default


@pytest.fixture(scope="module")
def documents():
    return [read_document(p) for folder in sorted(KB_DIR.iterdir()) if folder.is_dir() for p in list_kb_files(folder)]


@pytest.fixture(scope="module")
def chunked(documents):
    return {doc.doc_id: (doc, chunk_document(doc, MIN, MAX)) for doc in documents}


def test_no_chunk_straddles_a_heading(chunked):
    """The only headings inside a chunk are list items the outline made headings, and
    whose words the chunk itself carries."""
    for doc, chunks in chunked.values():
        for chunk in chunks:
            span = doc.markdown[chunk.start:chunk.end]
            for heading in re.finditer(r"^#{1,6} (.+)$", span, re.MULTILINE):
                assert heading.group(1) in chunk.text.split("\n"), (chunk.section, heading.group(0))


def test_chunk_offsets_point_at_the_quoted_text(chunked):
    for doc, chunks in chunked.values():
        for chunk in chunks:
            if chunk.kind == "text":
                first_line = chunk.text.split("\n")[0]
                assert first_line in doc.markdown[chunk.start:chunk.end]


def test_chunk_lengths_stay_within_bounds(chunked):
    for doc, chunks in chunked.values():
        for chunk in chunks:
            if chunk.kind == "text":
                assert len(chunk.text) <= MAX or "\n" not in chunk.text, chunk.text[:60]


def items_of(text: str) -> list[str]:
    """A chunk's text cut into items: each numbered line starts one."""
    items: list[str] = []
    for line in text.split("\n"):
        if leading_marker(line) or not items:
            items.append(line)
        else:
            items[-1] += "\n" + line
    return items


def test_a_chunk_holds_two_items_of_one_level_only_when_they_are_short_siblings(chunked):
    for doc, chunks in chunked.values():
        for chunk in (c for c in chunks if c.kind == "text"):
            styles = [m.style for m in map(leading_marker, chunk.text.split("\n")) if m]
            if len(styles) != len(set(styles)):
                assert all(len(item) < MIN for item in items_of(chunk.text)), (chunk.section, chunk.text[:80])


def glued_items(line: str) -> list[str]:
    """Marks inside a line that continue the line's own numbering: items glued together."""
    own = leading_marker(line)
    if not own or own.value is None:
        return []
    pattern = re.compile(rf"(?<![\d{CN_NUM}第])(?:{MARKER[own.style].pattern})(?=[\u4e00-\u9fff(“])")
    return [m.group(0) for m in pattern.finditer(line, len(own.text)) if leading_marker(m.group(0)).value == own.value + 1]


def test_no_line_of_a_kb_file_holds_the_next_item_glued_on(documents):
    glued = [(doc.doc_id, line[:40]) for doc in documents for line in doc.markdown.splitlines() if glued_items(line.lstrip("# "))]
    assert glued == []


def test_the_glue_check_catches_the_captures_glued_phone_scripts():
    assert glued_items("7、遇到电话杂音太大听不清楚时:…稍停5秒,挂机。不可以直接挂机8、遇到顾客讲方言话务员却听不懂时") == ["8、"]
    assert glued_items("9、…不可以转换成客户的方言10、遇到顾客抱怨话务员声音小") == ["10、"]
    assert glued_items("1、对服务人员进行统一考核,考核达到标准的人员才有资格上岗工作") == []


def test_every_heading_in_a_chunks_path_is_a_heading_of_its_document(chunked):
    for doc, chunks in chunked.values():
        headings = {m.group(1) for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", doc.markdown, re.MULTILINE)}
        for chunk in chunks:
            assert set(chunk.section.split(PATH_SEPARATOR)) <= headings, chunk.section


def is_fragment(heading: str) -> bool:
    """A heading cut out of running text: unbalanced brackets or quotes, a sentence ending
    inside it, or more words than a title holds."""
    mark = leading_marker(heading)
    heading = heading[len(mark.text):] if mark else heading  # "1)" opens no bracket
    pairs = [("(", ")"), ("“", "”"), ("【", "】")]
    unbalanced = any(heading.count(a) != heading.count(b) for a, b in pairs)
    return unbalanced or bool(re.search(r"[。!?;][^。!?;]", heading)) or len(heading) > 40


def test_no_heading_of_a_kb_file_is_a_sentence_fragment(documents):
    assert is_fragment("7、确认顾客是否满意“先生,请问您还有其它需要吗?”。(2")
    assert is_fragment("## 二、服务意识1、从基础服务转向知识服务".removeprefix("## ") + "在把握顾客服务核心的基础上,我们还要为顾客提供全方位的服务。")
    headings = [m.group(1) for doc in documents for m in re.finditer(r"^#{1,6}\s+(.+?)\s*$", doc.markdown, re.MULTILINE)]
    assert [h for h in headings if is_fragment(h)] == []


def test_a_table_header_row_alone_is_never_a_passage(chunked):
    for doc, chunks in chunked.values():
        for chunk in chunks:
            assert not chunk.text.startswith("情况说明 | 应对用语 | 避免用语") or chunk.kind == "table_row"
            if chunk.kind == "table_row":
                header, row = chunk.text.split("\n")
                assert row.strip(" |") and row != header


def test_short_items_are_packed_unless_an_intro_or_a_titled_rule_begins(chunked):
    """Two neighbouring passages of one section that are both short items, and would fit in
    one, are kept apart only because the second begins with an intro (话务员态度:) or a title
    with its own lines (当需要客户在线等待时 + its reply)."""
    for doc, chunks in chunked.values():
        for before, chunk in zip(chunks, chunks[1:]):
            if before.section != chunk.section or not before.kind == chunk.kind == "text" or before.questions:
                continue
            both_short = all(len(item) < MIN for item in items_of(before.text) + items_of(chunk.text))
            if both_short and len(before.text) + len(chunk.text) + 1 <= MAX:
                first = chunk.text.split("\n")[0]
                assert first.endswith(":") or "\n" in chunk.text and not leading_marker(first), (chunk.section, chunk.text)


def test_sections_carry_heading_paths(chunked):
    doc, chunks = chunked["000-客户服务知识手册"]
    article = next(c for c in chunks if "电话铃响3声内必须接听" in c.text)
    assert article.section.startswith("客户服务知识手册" + PATH_SEPARATOR)
    assert article.section.endswith("第六条")


def test_ids_are_stable_and_unique(documents):
    first = [c.id for doc in documents for c in chunk_document(doc, MIN, MAX)]
    second = [c.id for doc in documents for c in chunk_document(doc, MIN, MAX)]
    assert first == second
    assert len(set(first)) == len(first)


def test_phrase_table_rows_are_chunks_with_their_header(chunked):
    rows = [c for _, chunks in chunked.values() for c in chunks if c.kind == "table_row"]
    assert rows, "kb/ has at least one phrase table"
    for row in rows:
        header, body = row.text.split("\n", 1)
        assert "|" in header and body


def test_short_units_join_their_siblings():
    units = [Unit("①见面互致“您好”并点头示意。", 0, 10), Unit("②请别人帮忙,用“请”字。", 11, 20), Unit("x" * 390, 21, 411)]
    packed = pack_units(units, MIN, MAX)
    assert [u.text for u in packed] == ["①见面互致“您好”并点头示意。\n②请别人帮忙,用“请”字。", "x" * 390]
    assert (packed[0].start, packed[0].end) == (0, 20)


QUESTIONS_MD = """---
title: 客户服务知识手册
---

# 客户服务知识手册

## 第三章 客户服务人员电话接听规范

### 第六条

电话铃响3声内必须接听,直接接听人不在,由距离最近人员负责接听。

> 问法：电话响几声要接
> 问法:接电话有时间要求吗

### 常用电话用语使用规范

| 情况说明 | 应对用语 | 避免用语 |
|---|---|---|
| 3、当客户说话声音较小时 | “对不起,请您说大声一点” | “大声一点好吗!” |

> 问法：客户声音小怎么说

| 情况说明 | 应对用语 | 避免用语 |
|---|---|---|
| 4、客户叙述问题太急躁时 | “您别着急,请慢慢说。” | “您说那么快,听不懂!” |

### 1、办公室日常用语规范

①见面互致“您好”并点头示意。

②请别人帮忙,用“请”字。

> 问法：请人帮忙怎么说
"""


def chunk_markdown(tmp_path, text: str, name: str = "规范.md"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return chunk_document(read_document(path), MIN, MAX)


def test_associated_questions_ride_on_the_passage_above_them(tmp_path):
    chunks = chunk_markdown(tmp_path, QUESTIONS_MD)
    by_start = {c.text.split("\n")[0][:8]: c for c in chunks}
    assert by_start["电话铃响3声内必"].questions == ("电话响几声要接", "接电话有时间要求吗")
    row3, row4 = [c for c in chunks if c.kind == "table_row"]
    assert row3.questions == ("客户声音小怎么说",) and row3.text.startswith("情况说明 | 应对用语 | 避免用语\n3、")
    assert row4.questions == () and row4.text.startswith("情况说明 | 应对用语 | 避免用语\n4、")
    packed = by_start["①见面互致“您好"]
    assert packed.text == "①见面互致“您好”并点头示意。\n②请别人帮忙,用“请”字。"
    assert packed.questions == ("请人帮忙怎么说",)
    assert not any("问法" in c.text or "问法" in c.section for c in chunks)
    assert all(q not in unit for c in chunks for q in c.questions for unit in c.quotable_units())


def test_a_question_block_ends_a_pack_of_short_items(tmp_path):
    text = QUESTIONS_MD.replace("①见面互致“您好”并点头示意。\n", "①见面互致“您好”并点头示意。\n> 问法：见面怎么打招呼\n")
    chunks = chunk_markdown(tmp_path, text)
    first, second = [c for c in chunks if c.text.startswith(("①见面", "②请别人"))]
    assert (first.text, first.questions) == ("①见面互致“您好”并点头示意。", ("见面怎么打招呼",))
    assert (second.text, second.questions) == ("②请别人帮忙,用“请”字。", ("请人帮忙怎么说",))


def test_editing_questions_keeps_every_chunk_id(tmp_path):
    with_questions = chunk_markdown(tmp_path, QUESTIONS_MD, "a.md")
    edited = chunk_markdown(tmp_path, QUESTIONS_MD.replace("客户声音小怎么说", "对方声音太小听不见咋办"), "a.md")
    without = chunk_markdown(tmp_path, "\n".join(l for l in QUESTIONS_MD.split("\n") if "问法" not in l), "a.md")
    assert [c.id for c in with_questions] == [c.id for c in edited] == [c.id for c in without]
    assert [c.questions for c in edited if c.kind == "table_row"][0] == ("对方声音太小听不见咋办",)


def test_a_chunk_read_back_from_json_has_a_tuple_of_questions(tmp_path):
    import json

    from indexer.chunk import Chunk

    chunk = chunk_markdown(tmp_path, QUESTIONS_MD)[0]
    line = json.dumps(chunk.to_dict(), ensure_ascii=False)  # as chunks.jsonl holds it
    assert json.loads(line)["questions"] == ["电话响几声要接", "接电话有时间要求吗"]
    assert Chunk(**json.loads(line)) == chunk
