"""The capture cleaner on real excerpts, and its deletion-only promise on the real manuals."""

from indexer.clean import (
    clean_capture,
    clean_title,
    collapse_doubled_runs,
    drop_paged_toc,
    drop_running_headers,
    is_site_line,
    split_paragraphs,
    unglue_preview_chunks,
)
from indexer.fidelity import is_deletion_of, reference_text


def test_preview_chunk_numbers_are_unglued_mid_sentence():
    paragraphs = ["1、客户服务知识手册 不得转发外传。否则,由此而引起的一切", "2、后果自负。目 录", "3、相关的法律法规"]
    assert unglue_preview_chunks(paragraphs) == ["客户服务知识手册 不得转发外传。否则,由此而引起的一切后果自负。目 录相关的法律法规"]


def test_a_manuals_own_numbered_list_is_not_taken_for_preview_chunks():
    paragraphs = ["四、从客户的利益出发,提高自我信誉度", "1、根据客户的资源,结合我们的产品", "2、跟踪维护客户。", "3、提供超值维护"]
    assert unglue_preview_chunks(paragraphs) == paragraphs


def test_site_banner_and_page_lines_are_recognised():
    assert is_site_line("上传人:cl****1 文档编号:487165756 上传时间:2022-11-13 格式:DOC 页数:107 大小:286.50KB")
    assert is_site_line("客户服务知识手册_第4页")
    assert is_site_line("电脑版\xa0|金锄头文库版权所有")
    assert not is_site_line("第6条 电话铃响3声内必须接听")


def test_running_headers_after_page_lines_are_dropped_but_the_title_is_kept():
    lines = [
        "客户服务规范(电话服务)", "", "五、 本规范自发布之日起施行。", "", "第3页共20页", "",
        "客户服务规范(电话服务)", "", "第二章 适用范围", "", "第4页共20页", "", "客户服务规范(电话服务)", "", "第三章 工作职责",
    ]
    kept = [line for line in drop_running_headers(lines) if line]
    assert kept == ["客户服务规范(电话服务)", "五、 本规范自发布之日起施行。", "第二章 适用范围", "第三章 工作职责"]


def test_doubled_ppt_runs_collapse():
    raw = (
        "(1)话务员确定客户投诉属于预警投诉范围)话务员确定客户投诉属于预警投诉范围后,需在后,需在"
        "30分钟内形成分钟内形成“投诉预警信息投诉预警信息”"
    )
    assert collapse_doubled_runs(raw) == "(1)话务员确定客户投诉属于预警投诉范围后,需在30分钟内形成“投诉预警信息”"


def test_doubled_single_characters_collapse_only_in_doubled_text():
    doubled = "(一)查询类服务流程(一)查询类服务流程不不能能回回答答(二)投诉类服务流程(二)投诉类服务流程"
    assert collapse_doubled_runs(doubled) == "(一)查询类服务流程不能回答(二)投诉类服务流程"
    assert collapse_doubled_runs("请大家多多理解并指正,认认真真") == "请大家多多理解并指正,认认真真"


def test_paged_table_of_contents_is_dropped():
    text = "一切后果自负。目 录l 公司产品介绍 第4页l 公司客服规范 - 第5-20 页第一章 服务规范 - 第5页l 相关的法律法规 第69页产品介绍三鹿集团"
    assert drop_paged_toc(text) == "一切后果自负。产品介绍三鹿集团"


def test_title_loses_file_type_suffixes():
    assert clean_title("顾客服务手册.docVIP") == "顾客服务手册"
    assert clean_title("客服工作课件.ppt") == "客服工作课件"


def test_split_paragraphs_on_blank_lines():
    assert split_paragraphs(["a", "b", "", "", "c"]) == ["a\nb", "c"]


def test_cleaning_only_deletes_on_every_real_manual(manuals_dir):
    for path in sorted(manuals_dir.glob("0*.txt")):
        raw = path.read_text(encoding="utf-8")
        assert is_deletion_of(reference_text(raw), raw), path.name


def test_cleaned_manuals_lose_site_noise(manuals_dir):
    for path in sorted(manuals_dir.glob("0*.txt")):
        _, paragraphs = clean_capture(path.read_text(encoding="utf-8"))
        text = "\n".join(paragraphs)
        for noise in ("上传人", "版权所有", "展开阅读全文", "共107页", "第3页共20页", "163文库", "原创力文档", "文档评论"):
            assert noise not in text, (path.name, noise)


def test_list_marks_cut_or_doubled_by_the_ppt_capture_are_mended():
    cut = "否满意:“先生/女士,请问您还有其它问题吗?”。(3 3)告别规范(走有送声)告别规范(走有送声)1、应答完毕时"
    assert collapse_doubled_runs(cut) == "否满意:“先生/女士,请问您还有其它问题吗?”。(3)告别规范(走有送声)1、应答完毕时"
    doubled = "了啊!了啊!”四四.抱怨与投诉抱怨与投诉 16、遇到顾客投诉热线难拨通、应答慢时(包遇到顾客投诉热线难拨通、应答慢时(包"
    assert collapse_doubled_runs(doubled) == "了啊!”四.抱怨与投诉 16、遇到顾客投诉热线难拨通、应答慢时(包"
    assert collapse_doubled_runs("一一对应的服务") == "一一对应的服务"


def test_the_sites_previous_and_next_links_are_site_lines():
    assert is_site_line("上一篇:乒乓球html范文下一篇:简报第3期14范文")
