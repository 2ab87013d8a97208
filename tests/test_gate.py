"""The quality gate refuses a re-index that loses what the current index finds, unless forced."""

import pytest

from conftest import make_settings
from eval.gate import QualityGateFailed, quality_gate
from indexer import versions
from indexer.build import build_index
from indexer.settings import index_root


def test_gate_refuses_a_worse_index_and_force_overrides(tmp_path, kb_copy, encoder):
    settings = make_settings(tmp_path, kb_dir=kb_copy)
    good = build_index(settings, encoder=encoder, gate=quality_gate(settings, encoder)).version
    (kb_copy / "000-客户服务知识手册.md").unlink()  # the dairy manual answers a quarter of the gold questions
    with pytest.raises(QualityGateFailed, match="Recall@5") as refused:
        build_index(settings, encoder=encoder, gate=quality_gate(settings, encoder))
    assert "regressed" in str(refused.value) and "--force" in str(refused.value)
    root = index_root(settings)
    assert versions.current_version(root) == good
    assert versions.list_versions(root) == [good]  # the refused version is not kept
    forced = build_index(settings, encoder=encoder, gate=None).version
    assert versions.current_version(root) == forced


def test_gate_passes_an_unchanged_knowledge_base(tmp_path, kb_copy, encoder):
    settings = make_settings(tmp_path, kb_dir=kb_copy)
    build_index(settings, encoder=encoder)
    result = build_index(settings, encoder=encoder, gate=quality_gate(settings, encoder))
    assert versions.current_version(index_root(settings)) == result.version
