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


def headings_and_text(markdown: str) -> list[str]:
    return [line for line in markdown.splitlines()[2:] if line]


def test_phone_script_items_glued_by_the_ppt_capture_are_split():
    paragraph = (
        "7、遇到电话杂音太大听不清楚时:话务员应说“对不起,您的电话杂音太大,听不清,请您换一部电话再次打来好吗?再见!”"
        "稍停5秒,挂机。不可以直接挂机8、遇到顾客讲方言话务员却听不懂时:话务员应说“对不起,请您讲普通话,好吗?谢谢!”。不可以直接挂机"
    )
    blocks = [b.text for b in split_blocks(paragraph)]
    assert len(blocks) == 1  # the sentence split alone cannot see the glued 8、
    markdown = to_markdown("客服工作课件", [paragraph])
    lines = headings_and_text(markdown)
    assert lines[0].startswith("7、遇到电话杂音太大") and lines[0].endswith("不可以直接挂机")
    assert lines[1].startswith("8、遇到顾客讲方言")


def test_a_glued_section_title_becomes_a_sibling_heading():
    paragraphs = [
        "二、无法听清 9、遇到顾客讲方言,顾客能听懂话务员的普通话时:话务员应在听懂客户所用方言的基础上,继续保持普通话的表达。"
        "不可以转换成客户的方言10、遇到顾客抱怨话务员声音小或听不清楚时:话务员应说:“对不起,(稍微提高音量),请问有什么可以帮助您?”"
        "不可以直接挂机三.沟通内容 11、遇顾客来电找正在上班的话务员:话务员应说:“对不起,公司有规定,上班时间不允许接听私人电话。”"
    ]
    lines = headings_and_text(to_markdown("客服工作课件", paragraphs))
    assert lines[0] == "## 二、无法听清"
    assert lines[1].startswith("9、") and lines[1].endswith("不可以转换成客户的方言")
    assert lines[2].startswith("10、") and lines[2].endswith("不可以直接挂机")
    assert lines[3] == "## 三.沟通内容"
    assert lines[4].startswith("11、遇顾客来电")


def test_a_numbered_title_glued_to_its_first_sub_item_is_split():
    paragraphs = [
        "1、服务投诉预警规范(1)受理顾客投诉中,有关服务类的投诉,接线员在接到投诉信息后,按照分中心“投诉处理流程”正常处理。",
        "二、服务意识1、从基础服务转向知识服务 2、从单项服务转向互动服务",
    ]
    lines = headings_and_text(to_markdown("客服工作课件", paragraphs))
    assert lines[0] == "## 1、服务投诉预警规范"
    assert lines[1].startswith("(1)受理顾客投诉中")
    assert lines[2].endswith("二、服务意识")  # its level is the editor's: the numbering alone cannot nest it
    assert lines[3:] == ["1、从基础服务转向知识服务", "2、从单项服务转向互动服务"]


def test_a_number_inside_a_sentence_is_not_an_item():
    paragraph = "1、对服务人员进行统一考核。店长需在3小时内对当天的预警投诉给予指导意见,按2、3号窗口的顺序"
    lines = headings_and_text(to_markdown("x", [paragraph]))
    assert len(lines) == 1  # "2、3号" continues item 1's numbering, but no words follow the mark
    paragraph = "(5)预警投诉处理时间分配表预警投诉时间30 分钟1 小时30 分钟1 小时3 小时30 分钟1 天1 处理48小时"
    assert len(headings_and_text(to_markdown("x", [paragraph]))) == 1


def test_a_short_title_before_a_new_list_is_split_off():
    paragraph = (
        "2、客户致谢并表示要收线时,应谦虚致辞:“先生/女士,不客气,再见!”客户挂上电话后再轻轻收线。"
        "接听电话注意事项一.开头语以及问候语 1、问候语:“您好,欢迎致电临汾万佳福400服务热线,请问有什么可以帮到您?”"
    )
    lines = headings_and_text(to_markdown("客服工作课件", [paragraph]))
    assert lines[0].endswith("客户挂上电话后再轻轻收线。")
    assert lines[1] == "接听电话注意事项"
    assert lines[2].endswith("一.开头语以及问候语") and lines[2].startswith("#")
    assert lines[3].startswith("1、问候语")


def test_a_short_item_holding_a_colon_or_a_quote_is_text_not_a_title():
    paragraph = "三个规范:\n①服务人员着装规范:统一的着装代表康福特优质服务的形象\n①电话铃响......“您好!康福特公司,请讲”"
    assert not [line for line in headings_and_text(to_markdown("x", [paragraph])) if line.startswith("#")]


def test_titles_with_nothing_of_their_own_are_list_items():
    paragraphs = ["三、 服务禁忌", "1. 行为禁忌", "1) 客户讲话时轻易打断客户、插话或转移话题", "2) 客户未挂机前主动挂机", "2. 语言禁忌", "严禁使用服务忌语"]
    lines = headings_and_text(to_markdown("客户服务规范", paragraphs))
    assert lines == [
        "## 三、 服务禁忌", "### 1. 行为禁忌", "1) 客户讲话时轻易打断客户、插话或转移话题", "2) 客户未挂机前主动挂机",
        "### 2. 语言禁忌", "严禁使用服务忌语",
    ]


def test_marker_values_read_the_manuals_numerals():
    from indexer.numbering import cn_number, leading_marker

    assert [cn_number(n) for n in ("一", "十", "十二", "二十", "三十六", "百")] == [1, 10, 12, 20, 36, None]
    assert leading_marker("12、若没有听清楚").value == 12
    assert leading_marker("三.沟通内容").style == leading_marker("二、无法听清").style == "cn"
    assert (leading_marker("(三)投诉类服务").value, leading_marker("⑩告别时").value, leading_marker("E、其他").value) == (3, 10, 5)
    assert leading_marker("第十一条").value == 11 and leading_marker("☆顾客第一").value is None
    assert leading_marker("400 100 0283") is None
