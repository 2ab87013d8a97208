"""kb/ quotes its manuals: every sentence stands in the raw capture; front matter is complete."""

import re

import pytest

from indexer.fidelity import unquoted_sentences
from indexer.importer import capture_to_markdown, import_capture
from indexer.markdown import parse_markdown
from kefu.errors import ImportRefused

from conftest import KB_DIR

KB_FILES = sorted(KB_DIR.glob("*/*.md"))
MANUAL_FILES = [p for p in KB_FILES if parse_markdown(p.read_text(encoding="utf-8")).meta.get("source")]


def test_every_manual_has_a_kb_file():
    assert len(MANUAL_FILES) == 5


@pytest.mark.parametrize("path", MANUAL_FILES, ids=lambda p: p.stem)
def test_every_kb_sentence_is_found_in_its_raw_manual(path, manuals_dir):
    markdown = path.read_text(encoding="utf-8")
    raw = (manuals_dir / parse_markdown(markdown).meta["source"]).read_text(encoding="utf-8")
    assert unquoted_sentences(markdown, raw) == []


@pytest.mark.parametrize("path", MANUAL_FILES, ids=lambda p: p.stem)
def test_front_matter_names_title_source_organization_and_categories(path):
    meta = parse_markdown(path.read_text(encoding="utf-8")).meta
    assert meta["title"] and meta["source"].endswith(".txt")
    assert meta["organization"]
    assert isinstance(meta["categories"], list) and meta["categories"]
    assert "date" in meta


def test_the_fidelity_check_catches_an_invented_sentence(manuals_dir):
    raw = (manuals_dir / "000_b3e3bd6b8c35c8cf.txt").read_text(encoding="utf-8")
    _, markdown = capture_to_markdown(raw, "000_b3e3bd6b8c35c8cf.txt")
    assert unquoted_sentences(markdown, raw) == []
    tampered = markdown.replace("电话铃响3声内必须接听", "电话铃响5声内必须接听")
    assert unquoted_sentences(tampered, raw) != []


def test_importer_states_the_date_and_never_overwrites_hand_edits(manuals_dir, tmp_path):
    source = manuals_dir / "000_b3e3bd6b8c35c8cf.txt"
    first = import_capture(source, tmp_path)
    meta = parse_markdown(first.path.read_text(encoding="utf-8")).meta
    assert meta["date"] == "二00六年五月" and meta["title"] == "客户服务知识手册"
    first.path.write_text("hand edited", encoding="utf-8")
    with pytest.raises(ImportRefused, match="already exists"):
        import_capture(source, tmp_path)
    assert first.path.read_text(encoding="utf-8") == "hand edited"


def test_importer_refuses_an_empty_capture(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n", encoding="utf-8")
    with pytest.raises(ImportRefused, match="empty.txt"):
        import_capture(empty, tmp_path / "kb")


def test_a_doubled_character_removed_by_hand_still_counts_as_quoted():
    from indexer.fidelity import stands_in

    reference = "需在30分钟内形成“投诉预警信息”,上报至至400热线服务主管。"
    assert stands_in("上报至400热线服务主管。", reference)
    assert not stands_in("上报至500热线服务主管。", reference)
    assert not stands_in("上报至400热线服务经理。", reference)


def test_the_fidelity_check_exempts_exactly_the_question_lines(manuals_dir):
    path = KB_DIR / "dairy" / "000-客户服务知识手册.md"
    markdown = path.read_text(encoding="utf-8")
    before = markdown.count("问法")
    raw = (manuals_dir / "000_b3e3bd6b8c35c8cf.txt").read_text(encoding="utf-8")
    article = "电话铃响3声内必须接听,直接接听人不在,由距离最近人员负责接听。\n"
    row = "| 3、当客户说话声音较小时 | “对不起,请您说大声一点” | “大声一点好吗!” |\n"
    with_questions = markdown.replace(article, article + "\n> 问法：电话响几声必须接\n> 问法:没人在工位电话谁接\n").replace(
        row, row + "\n> 问法：客户声音太小听不清咋说\n"
    )
    assert with_questions.count("问法") == before + 3
    assert unquoted_sentences(with_questions, raw) == []
    # the same words without the 问法 mark are not the manual's: they are caught
    unmarked = with_questions.replace("> 问法：电话响几声必须接", "> 电话响几声必须接")
    assert unquoted_sentences(unmarked, raw) == ["电话响几声必须接"]


# Passages that state no fact, rule, time limit, phrase or procedure, so nobody asks for them:
# (kb, first words) and why. Every other passage carries at least three associated questions.
WITHOUT_QUESTIONS = {
    ("gas", "2022-06"): "a bare date",
    ("gas", "服务热线:"): "the number is missing in the capture",
    ("gas", "1、遇到这种情况你会怎样处理?"): "a teaching plan's discussion questions, with no answer",
    ("gas", "某公司销售部张经理"): "a role-play exercise",
    ("gas", "有一位客户,所购产品除了一些问题"): "an exercise that asks, with no answer",
    ("gas", "1. 什么是客户服务?"): "discussion questions, with no answer",
    ("lighting", "顾客服务手册"): "the title alone",
    ("lighting", "二、公司品质管理构架"): "a heading whose content the capture lost",
    ("supermarket", "不能回答"): "a label cut out of a flow chart",
}


def kb_passages():
    from indexer.chunk import chunk_document
    from indexer.load import list_kb_files, read_document

    for folder in sorted(p for p in KB_DIR.iterdir() if p.is_dir()):
        for path in list_kb_files(folder):
            yield from chunk_document(read_document(path), 40, 400, folder.name)


def test_every_passage_that_states_something_has_at_least_three_associated_questions():
    passages = list(kb_passages())
    exempt = [c for c in passages if any(c.kb == kb and c.text.startswith(words) for kb, words in WITHOUT_QUESTIONS)]
    assert len(exempt) == len(WITHOUT_QUESTIONS)  # each exemption names one passage that exists
    thin = [(c.kb, c.section, len(c.questions)) for c in passages if c not in exempt and len(c.questions) < 3]
    assert thin == []
    assert sum(len(c.questions) for c in passages) > 1500


def char_bigrams(text: str) -> set[str]:
    from kefu.text.normalize import fold_for_search

    letters = re.sub(r"[\W_]+", "", fold_for_search(text))
    return {letters[i:i + 2] for i in range(len(letters) - 1)} or {letters}


def test_no_associated_question_is_a_gold_question_or_paraphrase_in_other_words():
    """The questions written into kb/ must not leak the held-out gold set: none equals or nearly
    equals (character-bigram Jaccard >= 0.8) a gold question or paraphrase."""
    from kefu.gold import DEFAULT_GOLD, load_gold

    gold = [char_bigrams(text) for item in load_gold(DEFAULT_GOLD) for text in (item.question, *item.paraphrases)]
    close = []
    for chunk in kb_passages():
        for question in chunk.questions:
            mine = char_bigrams(question)
            if max(len(mine & theirs) / len(mine | theirs) for theirs in gold) >= 0.8:
                close.append((chunk.kb, question))
    assert close == []
