"""Every kb format goes through the same normaliser; a file that cannot be parsed is named."""

import json
import zipfile

import docx
import pytest

from indexer.chunk import chunk_document
from indexer.load import list_kb_files, read_document
from kefu.errors import DocumentUnreadable

from conftest import ALIAS_BOMB

ARTICLE = "电话铃响3声内必须接听,直接接听人不在,由距离最近人员负责接听。"


def write_docx(path, with_heading=True):
    document = docx.Document()
    document.core_properties.title = "电话接听规范"
    if with_heading:
        document.add_heading("第六条", level=1)
        document.add_paragraph(ARTICLE)
    else:
        document.add_paragraph("第六条 " + ARTICLE + "第七条 不清楚来意的电话需要保留意见。")
    table = document.add_table(rows=2, cols=3)
    for cell, text in zip(table.rows[0].cells, ("情况说明", "应对用语", "避免用语")):
        cell.text = text
    for cell, text in zip(table.rows[1].cells, ("当客户说话声音较小时", "“对不起,请您说大声一点”", "“大声一点好吗!”")):
        cell.text = text
    document.save(path)


def minimal_pdf(text: str) -> bytes:
    """A one-page PDF with a Helvetica text line: pypdf cannot write text, so it is built by hand."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_docx_headings_paragraphs_and_tables_become_markdown(tmp_path):
    path = tmp_path / "规范.docx"
    write_docx(path)
    doc = read_document(path)
    assert doc.title == "电话接听规范" and doc.doc_id == "规范"
    assert "## 第六条\n\n" + ARTICLE in doc.markdown
    assert "| 情况说明 | 应对用语 | 避免用语 |\n|---|---|---|\n| 当客户说话声音较小时 | “对不起,请您说大声一点” | “大声一点好吗!” |" in doc.markdown
    rows = [c for c in chunk_document(doc, 80, 400) if c.kind == "table_row"]
    assert len(rows) == 1 and rows[0].text.startswith("情况说明 | 应对用语 | 避免用语\n")


def test_docx_without_heading_styles_uses_the_manuals_numbering(tmp_path):
    path = tmp_path / "无标题.docx"
    write_docx(path, with_heading=False)
    markdown = read_document(path).markdown
    assert "## 第六条\n\n" + ARTICLE in markdown and "## 第七条" in markdown


def test_html_keeps_structure_and_drops_scripts(tmp_path):
    path = tmp_path / "faq.html"
    path.write_text(
        "<html><head><title>售后服务</title><script>alert('x')</script></head><body>"
        "<nav>首页 | 关于</nav><h1>售后服务</h1><h2>回访</h2><p>分公司在为顾客服务48小时后对顾客进行电话回访;</p>"
        "<ul><li>第一级:售后服务人员确认服务状况;</li></ul>"
        "<table><tr><th>应说</th><th>不可以说</th></tr><tr><td>您好</td><td>喂</td></tr></table></body></html>",
        encoding="utf-8",
    )
    doc = read_document(path)
    assert doc.title == "售后服务"
    assert "### 回访\n\n分公司在为顾客服务48小时后对顾客进行电话回访;" in doc.markdown
    assert "- 第一级:售后服务人员确认服务状况;" in doc.markdown
    assert "| 应说 | 不可以说 |\n|---|---|\n| 您好 | 喂 |" in doc.markdown
    assert "alert" not in doc.markdown and "首页" not in doc.markdown


def test_pdf_text_goes_through_the_capture_cleaner(tmp_path):
    path = tmp_path / "manual.pdf"
    path.write_bytes(minimal_pdf("Return policy: within 7 days."))
    doc = read_document(path)
    assert doc.title == "manual" and "Return policy: within 7 days." in doc.markdown


def zip_bomb(path):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("word/document.xml", b"\0" * (60 * 1024 * 1024))


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("broken.docx", b"PK\x03\x04 not really a zip", "cannot parse the .docx"),
        ("fake.pdf", b"hello", "cannot parse the PDF"),
        ("latin.md", b"# \xff\xfe titel", "not UTF-8"),
        ("empty.txt", b"   \n", "no text"),
        ("tool.exe", b"MZ", "unsupported file type"),
    ],
)
def test_unparseable_files_are_named_in_the_error(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentUnreadable, match=message) as refused:
        read_document(path)
    assert name in str(refused.value)


def test_a_zip_bomb_docx_is_refused_before_parsing(tmp_path):
    path = tmp_path / "bomb.docx"
    zip_bomb(path)
    assert path.stat().st_size < 1024 * 1024
    with pytest.raises(DocumentUnreadable, match="zip bomb"):
        read_document(path)


def test_kb_listing_skips_unknown_hidden_and_temporary_files(tmp_path):
    for name in ("a.md", "b.docx", "c.exe", ".hidden.md", "~lock.docx", "d.HTML"):
        (tmp_path / name).write_bytes(b"x")
    assert [p.name for p in list_kb_files(tmp_path)] == ["a.md", "b.docx", "d.HTML"]


ARTICLE_MD = "---\ntitle: 电话接听规范\n---\n\n# 电话接听规范\n\n## 第六条\n\n" + ARTICLE + "\n\n"


@pytest.mark.parametrize(
    "block,line,message",
    [
        ("> 问法：\n", 11, "empty associated question"),
        ("> 问法：电话响几声要接\n> 问法 接电话有时间要求吗\n", 12, "lacks its colon"),
        ("## 第七条\n\n> 问法：不清楚来意的电话咋办\n", 13, "not a heading"),
        ("| 情况说明 | 应对用语 |\n|---|---|\n\n> 问法：声音小怎么说\n", 14, "not its header"),
        ("| 情况说明 | 应对用语 |\n|---|---|\n| 声音小 | 请您说大声一点 |\n\n> 问法：声音小怎么说\n\n| 太急躁 | 请慢慢说 |\n", 17, "need the table header again"),
    ],
)
def test_a_malformed_question_block_is_refused_naming_file_and_line(tmp_path, block, line, message):
    path = tmp_path / "规范.md"
    path.write_text(ARTICLE_MD + block, encoding="utf-8")
    with pytest.raises(DocumentUnreadable, match=message) as refused:
        read_document(path)
    assert f"规范.md 第 {line} 行:" in str(refused.value)


def test_a_well_formed_question_block_reads(tmp_path):
    path = tmp_path / "规范.md"
    path.write_text(ARTICLE_MD + "> 问法：电话响几声要接\n", encoding="utf-8")
    assert [c.questions for c in chunk_document(read_document(path), 40, 400)] == [("电话响几声要接",)]


BODY = "# 冷饮手册\n\n## 第一条\n\n冰淇淋必须冷冻保存。\n"


def front_matter_file(tmp_path, yaml_text: str):
    path = tmp_path / "冷饮手册.md"
    path.write_text(f"---\n{yaml_text}\n---\n{BODY}", encoding="utf-8")
    return path


@pytest.mark.parametrize("written,read", [
    ("2026-12-01", "2026-12-01"),  # unquoted, as any editor writes it
    ("2026-12-1 8:30", "2026-12-1 8:30"),  # no YAML date (its time lacks seconds): text, kept as written
    ("2026-12-1 8:30:00", "2026-12-01T08:30:00"),
    ("'2026-12-01'", "2026-12-01"),
    ("2026-12-01 08:30:00", "2026-12-01T08:30:00"),
    ("2026-12-01T08:30:00Z", "2026-12-01T08:30:00+00:00"),
    ("!!timestamp 2026-12-01", "2026-12-01"),
    ("二〇〇八年三月", "二〇〇八年三月"),  # the importer's dates are text, and stay as written
    ("null", None),
])
def test_front_matter_dates_of_every_yaml_form_are_iso_strings(tmp_path, written, read):
    doc = read_document(front_matter_file(tmp_path, f"title: 冷饮手册\ndate: {written}\ncategories: [2026-01-01, 冷饮]"))
    assert doc.meta["date"] == read and doc.meta["categories"] == ["2026-01-01", "冷饮"]
    json.dumps(doc.meta)  # the manifest is JSON: a date object broke every later re-index


@pytest.mark.parametrize("yaml_text,names", [
    ("title: 冷饮手册\ndate: 2020-13-45", "date"),  # no 13th month: was a 500
    ("title: [冷饮, 手册]", "title"),
    ("title: 冷饮手册\ndate: {year: 2026}", "date"),
    ("title: 冷饮手册\ncategories: {a: b}", "categories"),
    ("title: 冷饮手册\nlogo: !!binary aGVsbG8=", "logo"),
    ("title: &t 冷饮手册\nsource: *t", "alias"),
    ("title: 冷饮手册\nnote: '" + "长" * 5000 + "'", "4096"),
])
def test_bad_front_matter_is_refused_naming_the_problem(tmp_path, yaml_text, names):
    with pytest.raises(DocumentUnreadable, match=names) as refused:
        read_document(front_matter_file(tmp_path, yaml_text))
    assert "冷饮手册.md" in str(refused.value)


def test_a_yaml_alias_bomb_is_refused_at_once(tmp_path):
    path = tmp_path / "bomb.md"
    path.write_text(ALIAS_BOMB, encoding="utf-8")
    assert len(ALIAS_BOMB.split("\n---\n")[0]) <= 400
    with pytest.raises(DocumentUnreadable, match="alias"):
        read_document(path)


def test_a_manual_with_an_unquoted_date_is_indexed(tmp_path, encoder):
    """Issue 17: an editor's `date: 2026-12-01` stopped every re-index (date is not JSON serializable)."""
    from indexer.build import build_index
    from kefu.kbs import create_kb

    from conftest import make_settings

    settings = make_settings(tmp_path, kb_dir=tmp_path / "kb")
    front_matter_file(create_kb(settings, "drinks", "饮品", "测试公司", "您好").folder, "title: 冷饮手册\ndate: 2026-12-01")
    result = build_index(settings, "drinks", encoder=encoder)
    manifest = json.loads((result.path / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"]["冷饮手册"]["date"] == "2026-12-01"


def test_html_nested_past_the_limits_is_refused_before_it_is_read(tmp_path):
    """600 nested tables (20 KB) took 15 s to read, cost growing as n²–n³; 3 read as usual."""
    from indexer.load import MAX_ELEMENT_NESTING, MAX_TABLE_NESTING
    from kefu.errors import DocumentTooComplex

    def page(opening: str, closing: str, depth: int) -> str:
        return "<html><body><h1>规范</h1>" + opening * depth + "客服规定" + closing * depth + "</body></html>"

    tables = tmp_path / "表格.html"
    tables.write_text(page("<table><tr><td>", "</td></tr></table>", 600), encoding="utf-8")
    with pytest.raises(DocumentTooComplex, match=f"表格嵌套了 600 层,超过 {MAX_TABLE_NESTING} 层的限制") as refused:
        read_document(tables)
    assert "表格.html" in str(refused.value)
    divs = tmp_path / "嵌套.html"
    divs.write_text(page("<div>", "</div>", MAX_ELEMENT_NESTING + 1), encoding="utf-8")
    with pytest.raises(DocumentTooComplex, match="网页元素嵌套了"):
        read_document(divs)
    fine = tmp_path / "正常.html"
    fine.write_text(page("<table><tr><td>", "</td></tr></table>", 3) + "<p>" * 500, encoding="utf-8")  # unclosed <p>s are no nesting
    assert "客服规定" in read_document(fine).markdown
