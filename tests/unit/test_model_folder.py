"""The vectors' width read from a model folder's files, without loading the model (kefu.model):
the shipped m3e-small folder, and the layouts sentence-transformers saves."""

import json
import subprocess
import sys

import pytest

from kefu.model import folder_dimension, resolve_model_path

from conftest import REPO

# In a process of its own: this test session may have torch loaded already.
BUILD_ENCODER = (
    "import sys; from kefu.model import Encoder; from kefu.settings import load_settings; e = Encoder(load_settings()); "
    "print(e.name, e.path.name, e.dimension, 'torch' in sys.modules, 'sentence_transformers' in sys.modules)"
)


def write_model(folder, modules: list[str] | None, pooling: dict | None = None, **files) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps({"hidden_size": 768}), encoding="utf-8")
    if modules is not None:
        entries = [{"idx": i, "name": str(i), "path": "" if kind == "Transformer" else f"{i}_{kind}", "type": f"sentence_transformers.models.{kind}"} for i, kind in enumerate(modules)]
        (folder / "modules.json").write_text(json.dumps(entries), encoding="utf-8")
        (folder / "1_Pooling").mkdir(exist_ok=True)
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(pooling or {}), encoding="utf-8")
    for name, content in files.items():
        (folder / f"{name}.json").write_text(json.dumps(content), encoding="utf-8")


def test_the_shipped_model_is_512_wide_from_its_config():
    assert folder_dimension(resolve_model_path("m3e-small")) == 512


def test_a_plain_transformer_folder_is_its_hidden_size(tmp_path):
    write_model(tmp_path, None)
    assert folder_dimension(tmp_path) == 768


@pytest.mark.parametrize("pooling", [
    {"embedding_dimension": 384, "pooling_mode": "mean", "include_prompt": True},  # sentence-transformers 6
    {"word_embedding_dimension": 384, "pooling_mode_cls_token": False, "pooling_mode_mean_tokens": True, "pooling_mode_max_tokens": False},  # before 6
])
def test_mean_pooling_with_or_without_normalize_is_the_pooling_width(tmp_path, pooling):
    write_model(tmp_path, ["Transformer", "Pooling"], pooling)
    assert folder_dimension(tmp_path) == 384
    write_model(tmp_path, ["Transformer", "Pooling", "Normalize"], pooling)
    assert folder_dimension(tmp_path) == 384


@pytest.mark.parametrize("modules, pooling, extra", [
    (["Transformer", "Pooling", "Dense"], {"embedding_dimension": 384, "pooling_mode": "mean"}, {}),
    (["Transformer", "Pooling"], {"embedding_dimension": 384, "pooling_mode": ["mean", "max"]}, {}),
    (["Transformer", "Pooling"], {"embedding_dimension": 384, "pooling_mode": "cls"}, {}),
    (["Transformer", "Pooling"], {"embedding_dimension": 384, "pooling_mode": "mean"}, {"config_sentence_transformers": {"truncate_dim": 128}}),
])
def test_a_layout_the_files_do_not_settle_is_left_to_the_loaded_model(tmp_path, modules, pooling, extra):
    write_model(tmp_path, modules, pooling, **extra)
    assert folder_dimension(tmp_path) is None


@pytest.mark.parametrize("content", ["{not json", '{"0": "Transformer"}', '["Transformer", "Pooling"]'])
def test_an_unreadable_or_unexpected_modules_file_is_left_to_the_loaded_model(tmp_path, content):
    write_model(tmp_path, ["Transformer", "Pooling"], {"embedding_dimension": 384, "pooling_mode": "mean"})
    (tmp_path / "modules.json").write_text(content, encoding="utf-8")
    assert folder_dimension(tmp_path) is None


def test_an_encoder_knows_its_model_without_importing_torch_or_loading_it():
    run = subprocess.run([sys.executable, "-c", BUILD_ENCODER], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["m3e-small", "m3e-small", "512", "False", "False"]
