"""`kefu tune` on a tiny kb with the real model: the model folder it writes, its card and licence,
an index built with it, what a killed or failing tune leaves, and the input it refuses."""

import json
import os
import subprocess
import sys

import pytest

from indexer.build import build_index
from indexer.tune.average import WEIGHTS
from indexer.tune.card import CARD_JSON, CARD_README
from indexer.tune.run import WORK_PREFIX, TuneOptions, chosen_kbs, tune_model
from indexer.tune.train import TrainOptions
from kefu.errors import IndexCorrupt, TuneRefused
from kefu.kbs import UnknownKb
from kefu.settings import models_root

from conftest import REPO, SHARED_CACHE, TINY, make_settings, make_tiny_kb, run_kefu

NAME = "tiny-tuned"
QUICK = ["--epochs", "1", "--batch-size", "4"]  # 18 pairs: five steps
BARE = "bare"  # a kb whose manual carries no associated questions


def kefu_env(settings) -> dict:
    return {**os.environ, "KEFU_DATA_DIR": str(settings.data_dir), "KEFU_KB_DIR": str(settings.kb_dir), "KEFU_CACHE_DIR": str(SHARED_CACHE)}


def kill_while_training(settings, name: str) -> dict:
    """`kefu tune` started, killed (SIGKILL) once it reports its first training step; what it left."""
    command = [sys.executable, "-m", "kefu.cli", "tune", "--kb", TINY, "--out", name, *QUICK]
    process = subprocess.Popen(command, cwd=REPO, env=kefu_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    for line in process.stderr:
        if line.startswith("train:"):
            process.kill()
            break
    process.stderr.close()
    return {"returncode": process.wait(timeout=60), "left": sorted(path.name for path in models_root(settings).iterdir())}


@pytest.fixture(scope="module")
def killed_then_tuned(tmp_path_factory):
    """A tune of the tiny kb killed while training, then the same tune run whole (`kefu tune --json`)."""
    root = tmp_path_factory.mktemp("tune")
    make_tiny_kb(root / "kb")
    settings = make_settings(root, kb_dir=root / "kb")
    killed = kill_while_training(settings, NAME)
    done = run_kefu(["tune", "--kb", TINY, "--out", NAME, *QUICK, "--json"], settings)
    assert done.returncode == 0, done.stderr
    return settings, killed, done


@pytest.mark.model
def test_a_killed_tune_leaves_no_model_and_the_next_tune_clears_its_leftovers(killed_then_tuned):
    settings, killed, done = killed_then_tuned
    assert killed["returncode"] == -9
    assert NAME not in killed["left"] and WORK_PREFIX + NAME in killed["left"]  # only the hidden work folder
    assert [path.name for path in models_root(settings).iterdir() if not path.name.startswith(".build")] == [NAME]
    assert "train: 5/5" in done.stderr and "held-out before" in done.stderr


@pytest.mark.model
def test_the_tuned_model_is_a_complete_sentence_transformer_with_its_card(killed_then_tuned, encoder):
    from kefu.model import load_sentence_transformer

    settings, _, done = killed_then_tuned
    card = json.loads(done.stdout)  # stdout is the card alone: nothing of the trainer's printing
    folder = models_root(settings) / NAME
    assert json.loads((folder / CARD_JSON).read_text(encoding="utf-8")) == card
    tuned = load_sentence_transformer(folder).encode(["积分怎么算"], normalize_embeddings=True)
    base = encoder.model.encode(["积分怎么算"], normalize_embeddings=True)
    assert tuned.shape == (1, 512) and abs(float(tuned[0] @ base[0]) - 1) > 1e-5  # tuning moved it, a little
    assert "non-commercial" in card["licence"] and card["licence"] in (folder / CARD_README).read_text(encoding="utf-8")
    assert card["base_model"] == "m3e-small" and len(card["data"]["hash"]) == 64
    assert card["data"]["per_kb"] == {TINY: {"passages": 4, "question": 14, "faq": 0, "heading": 4, "held_out": 2}}
    assert card["training"]["epochs"] == 1 and card["training"]["steps_run"] == 5 and len(card["training"]["evaluations"]) == 3
    assert card["held_out"]["before"]["questions"] == card["held_out"]["after"]["questions"] == 2
    assert card["averaging"]["tuned_weight"] in WEIGHTS and [row["weight"] for row in card["averaging"]["grid"]] == list(WEIGHTS)


@pytest.mark.model
def test_an_index_built_with_the_tuned_model_is_refused_by_the_base_model_and_served_by_its_own(killed_then_tuned, tmp_path):
    from bot.assemble import open_searcher
    from bot.retrieve.index import load_version
    from kefu.model import Encoder

    settings, _, _ = killed_then_tuned
    with_tuned = make_settings(tmp_path, kb_dir=settings.kb_dir, embed_model=str(models_root(settings) / NAME))
    tuned = Encoder(with_tuned)
    built = build_index(with_tuned, TINY, encoder=tuned)
    with pytest.raises(IndexCorrupt, match="model mismatch"):
        load_version(built.path, make_settings(tmp_path, kb_dir=settings.kb_dir))
    assert load_version(built.path, with_tuned).version == built.version
    top = open_searcher(with_tuned, TINY, encoder=tuned).search("发票去哪开", 1)[0]
    assert top.chunk.section.endswith("四、发票")


@pytest.mark.model
def test_the_onnx_query_model_is_exported_from_the_tuned_folder_with_its_licence(killed_then_tuned, encoder, tmp_path):
    from bot.retrieve.onnx_export import CARD, ensure_export
    from bot.retrieve.query_encoder import QueryEncoder
    from kefu.model import Encoder

    settings, _, _ = killed_then_tuned
    folder = models_root(settings) / NAME
    with_tuned = make_settings(tmp_path, kb_dir=settings.kb_dir, embed_model=str(folder), query_int8=False, query_cache_size=0)
    tuned = Encoder(with_tuned)
    queries = QueryEncoder(tuned, with_tuned)  # the default backend, ONNX
    card = json.loads((ensure_export(tuned, with_tuned).parent / CARD).read_text(encoding="utf-8"))
    assert card["source"]["path"] == str(folder.resolve()) and "non-commercial" in card["source_licence"]
    vector = queries.encode("积分能抵钱吗")
    tuned_vector, base_vector = (model.encode(["积分能抵钱吗"], normalize_embeddings=True)[0] for model in (tuned.model, encoder.model))
    assert float(vector @ tuned_vector) > 0.9999 and float(vector @ tuned_vector) > float(vector @ base_vector)


@pytest.mark.model
def test_switching_to_the_tuned_model_goes_through_the_quality_gate(killed_then_tuned, encoder, tmp_path, caplog):
    from bot.gate import QualityGateFailed, quality_gate
    from bot.retrieve.index import load_current
    from bot.retrieve.query_encoder import QueryEncoder
    from kefu.model import Encoder
    from kefu.text.tokenize import Tokenizer

    settings, _, _ = killed_then_tuned
    manual = make_tiny_kb(tmp_path / "kb") / "manual.md"
    gold = tmp_path / "gold.jsonl"
    item = {"id": "t1", "question": "发票在哪开", "persona": "customer", "kb": TINY, "answerable": True, "kind": "fact", "split": "dev", "key_phrases": ["服务台开具发票"]}
    gold.write_text(json.dumps(item, ensure_ascii=False) + "\n", encoding="utf-8")
    tokenizer = Tokenizer()

    def build_gated(settings, encoder):
        return build_index(settings, TINY, encoder=encoder, gate=quality_gate(settings, QueryEncoder(encoder, settings), tokenizer, TINY), tokenizer=tokenizer)

    base = make_settings(tmp_path, kb_dir=tmp_path / "kb", gold_path=gold)
    build_gated(base, encoder)
    manual.write_text(manual.read_text(encoding="utf-8").split("## 四、发票")[0], encoding="utf-8")  # the dev question's passage is gone
    with_tuned = make_settings(tmp_path, kb_dir=tmp_path / "kb", gold_path=gold, embed_model=str(models_root(settings) / NAME))
    # the current version is the base model's: it is searched with the base model, and the loss is seen
    with caplog.at_level("ERROR"), pytest.raises(QualityGateFailed, match="1.000 -> 0.000"):
        build_gated(with_tuned, Encoder(with_tuned))
    assert load_current(base, TINY).manifest["model"] == "m3e-small"
    assert "refusing index version" not in caplog.text  # the base model's version was not loaded with the tuned model first


@pytest.mark.model
def test_a_tune_that_fails_midway_leaves_no_folder(tmp_path):
    make_tiny_kb(tmp_path / "kb")
    settings = make_settings(tmp_path, kb_dir=tmp_path / "kb")

    def interrupt(stage: str, done: int, total: int) -> None:
        if stage == "train" and done == 2:
            raise KeyboardInterrupt  # as Ctrl-C would, mid-training

    with pytest.raises(KeyboardInterrupt):
        tune_model(settings, TuneOptions(name="stopped", train=TrainOptions(epochs=1, batch_size=4)), progress=interrupt)
    assert [path.name for path in models_root(settings).iterdir()] == [".build.lock"]


@pytest.fixture
def two_kbs(tmp_path):
    make_tiny_kb(tmp_path / "kb")
    make_tiny_kb(tmp_path / "kb", BARE, "# 空白手册\n\n## 一、说明\n\n本手册只有说明,没有问法。\n")
    return make_settings(tmp_path, kb_dir=tmp_path / "kb")


def test_exclude_kb_leaves_that_kb_out(two_kbs):
    assert chosen_kbs(two_kbs, None, ()) == [BARE, TINY]
    assert chosen_kbs(two_kbs, None, (BARE,)) == [TINY]
    assert chosen_kbs(two_kbs, BARE, ()) == [BARE]


@pytest.mark.parametrize("options, error, message", [
    (TuneOptions(kb="nosuch"), UnknownKb, "no knowledge base 'nosuch'"),
    (TuneOptions(exclude=("nosuch",)), UnknownKb, "no knowledge base 'nosuch'"),
    (TuneOptions(kb=BARE), TuneRefused, "no questions to tune on"),
    (TuneOptions(kb=TINY, exclude=(BARE,)), TuneRefused, "cannot be used together"),
    (TuneOptions(exclude=(TINY, BARE)), TuneRefused, "no knowledge base left"),
    (TuneOptions(name="../elsewhere"), TuneRefused, "invalid model name"),
    (TuneOptions(name=".hidden"), TuneRefused, "invalid model name"),
    (TuneOptions(name="taken"), TuneRefused, "already exists"),
    (TuneOptions(name="onnx"), TuneRefused, "ONNX query models' folder"),
])
def test_bad_input_is_refused_before_anything_is_written(two_kbs, options, error, message):
    (models_root(two_kbs) / "taken").mkdir(parents=True)
    with pytest.raises(error, match=message):
        tune_model(two_kbs, options)
    assert [path.name for path in models_root(two_kbs).iterdir()] == ["taken"]


def test_the_command_names_the_problem_in_chinese_and_english(two_kbs, tmp_path):
    unknown = run_kefu(["tune", "--kb", "nosuch"], two_kbs)
    assert unknown.returncode == 1 and "没有知识库 nosuch / no knowledge base 'nosuch'" in unknown.stderr
    bare = run_kefu(["tune", "--kb", BARE], two_kbs)
    assert bare.returncode == 1 and "没有足够的问法可调优 / no questions to tune on" in bare.stderr
    missing = run_kefu(["tune", "--kb", TINY], two_kbs, env={"KEFU_EMBED_MODEL": str(tmp_path / "no-model")})
    assert missing.returncode == 1 and "不是本地模型目录 / not a local model folder" in missing.stderr
    assert not models_root(two_kbs).exists() or not any(models_root(two_kbs).iterdir())
