"""The quality gate refuses a re-index that loses what the current index finds, unless forced."""

import pytest

from bot.gate import GoldSetMissing, QualityGateFailed, quality_gate
from indexer import versions
from indexer.build import build_index
from kefu.settings import index_root
from kefu.text.tokenize import Tokenizer

from conftest import make_settings


def gate(settings, queries, kb: str = "dairy"):
    return quality_gate(settings, queries, Tokenizer(), kb)


def test_gate_refuses_a_worse_index_and_force_overrides(tmp_path, kb_copy, encoder, queries):
    settings = make_settings(tmp_path, kb_dir=kb_copy)
    good = build_index(settings, "dairy", encoder=encoder, gate=gate(settings, queries)).version
    other = build_index(settings, "lighting", encoder=encoder).version
    manual = kb_copy / "dairy" / "000-客户服务知识手册.md"
    manual.write_text(manual.read_text(encoding="utf-8").split("## 客服规范")[0], encoding="utf-8")  # products only
    with pytest.raises(QualityGateFailed, match="Recall@5") as refused:
        build_index(settings, "dairy", encoder=encoder, gate=gate(settings, queries))
    assert "regressed" in str(refused.value) and "--force" in str(refused.value) and "dairy" in str(refused.value)
    root = index_root(settings, "dairy")
    assert versions.current_version(root) == good
    assert versions.list_versions(root) == [good]  # the refused version is not kept
    forced = build_index(settings, "dairy", encoder=encoder, gate=None).version
    assert versions.current_version(root) == forced
    assert versions.current_version(index_root(settings, "lighting")) == other  # another kb never changes


def test_gate_passes_an_unchanged_knowledge_base(tmp_path, kb_copy, encoder, queries):
    settings = make_settings(tmp_path, kb_dir=kb_copy)
    build_index(settings, "dairy", encoder=encoder)
    result = build_index(settings, "dairy", encoder=encoder, gate=gate(settings, queries))
    assert versions.current_version(index_root(settings, "dairy")) == result.version


def test_a_missing_gold_file_is_an_error_unless_the_gate_is_switched_off(tmp_path, monkeypatch, queries):
    monkeypatch.chdir(tmp_path)  # the shipped gold set is found from anywhere, not only from the repo
    assert gate(make_settings(tmp_path), queries) is not None
    missing = make_settings(tmp_path, gold_path=tmp_path / "no-such-gold.jsonl")
    with pytest.raises(GoldSetMissing, match="KEFU_QUALITY_GATE=false"):
        gate(missing, queries)
    assert gate(missing.model_copy(update={"quality_gate": False}), queries) is None


def test_a_gold_set_without_answerable_dev_questions_lets_the_build_through(tmp_path, kb_copy, encoder, queries):
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "u001", "question": "今天天气怎么样", "persona": "customer", "kb": "dairy", "answerable": false, "kind": "out_of_scope", "split": "dev"}\n', encoding="utf-8")
    settings = make_settings(tmp_path, kb_dir=kb_copy, gold_path=gold)
    build_index(settings, "dairy", encoder=encoder)
    result = build_index(settings, "dairy", encoder=encoder, gate=gate(settings, queries))
    assert versions.current_version(index_root(settings, "dairy")) == result.version
