"""Headings restored from the manuals' own numbering."""

from indexer.markdown import parse_markdown, sections
from indexer.structure import split_blocks, to_markdown


def test_articles_glued_into_one_line_become_nested_headings():
    paragraph = (
        "第5条 及时、迅速的对消费者投诉进行处理。第二章 服务质量标准第一节 客户服务中心服务质量标准"
        "第6条 销售部客户服务中心作为公司投诉处理部门。第7条 接待消费者电话,须用普通话应答。"
    )
    markdown = to_markdown("客户服务知识手册", ["第一章 服务规范", paragraph])
    paths = [s.path for s in sections(parse_markdown(markdown))]
    assert paths == [
        ("客户服务知识手册", "第一章 服务规范", "第5条"),
        ("客户服务知识手册", "第二章 服务质量标准", "第一节 客户服务中心服务质量标准", "第6条"),
        ("客户服务知识手册", "第二章 服务质量标准", "第一节 客户服务中心服务质量标准", "第7条"),
    ]


def test_short_numbered_titles_are_headings_and_long_items_are_text():
    markdown = to_markdown("顾客服务手册", ["六、顾客退货/货的处理 1.退/换货的标准 A、顾客进料检验中发现的不合格品或不合格批; B、错发、错运、错包的产品;"])
    assert "## 六、顾客退货/货的处理" in markdown
    assert "### 1.退/换货的标准" in markdown
    assert "\nA、顾客进料检验中发现的不合格品或不合格批;\n" in markdown


def test_dotted_table_of_contents_lines_and_bare_markers_are_dropped():
    blocks = split_blocks("第一章 总则 ........................ 3 一、 二、 第二章 适用范围")
    assert [b.text for b in blocks] == ["第二章 适用范围"]


def test_an_ellipsis_is_not_a_table_of_contents_leader():
    blocks = split_blocks("①电话铃响......“您好!康福特公司,请讲”")
    assert [b.text for b in blocks] == ["①电话铃响......“您好!康福特公司,请讲”"]
