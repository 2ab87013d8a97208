"""Chunking invariants on the real kb/."""

import re

import pytest

from conftest import KB_DIR
from indexer.chunk import PATH_SEPARATOR, chunk_document, pack_units, Unit
from indexer.load import list_kb_files, read_document

MIN, MAX = 80, 400


@pytest.fixture(scope="module")
def documents():
    return [read_document(p) for p in list_kb_files(KB_DIR)]


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


def test_short_chunks_only_where_their_section_has_nothing_to_join(chunked):
    for doc, chunks in chunked.values():
        for before, chunk in zip([None] + chunks, chunks):
            if len(chunk.text) < MIN and before and before.section == chunk.section and before.kind == chunk.kind == "text":
                assert len(before.text) + len(chunk.text) + 1 > MAX, chunk.text


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
