"""The ONNX query path's tokenizer (tokenizer.json through `tokenizers`) against the one it replaced
(transformers' tokenizer of the model, called as the query model called it): the same input_ids,
attention_mask and token_type_ids on customers' questions, batched, truncated and padded."""

import json
import shutil

import numpy as np
import pytest

from bot.retrieve.query_tokenizer import JsonTokenizer, TransformersTokenizer, open_query_tokenizer
from kefu.model import resolve_model_path

# Customers' phrasings (those of kefu/text's tests), with typos, dialect, particles, digits and
# Latin letters, plus the edge cases a widget sends: empty, blank, emoji, full-width, traditional.
QUESTIONS = [
    "牛奶过期了怎么办", "燃气表不走了怎么回事", "怎么投诉你们的送货员", "灯具保修什么时候到期", "退货要带什么",
    "肿么联系人工客服", "发票丢了怎么办?", "师傅没上门怎么搞", "购物小票弄丢了还能退吗", "热线能办神么业务",
    "拆开用了还能退不", "过期的奶能换不?", "能上门安装不,谢谢", "保质期内坏了能换码", "24小时有人接电话吗",
    "2个小时能回电话吗", "十个工作日内能退款吗", "码数偏小能换吗", "一次性的餐具能退吗", "LED灯管坏了 能换吗",
    "WiFi版空调APP连不上", "订单号A20231105-8843怎么查", "ＶＩＰ会员卡积分怎麼兌換", "退貨要帶發票嗎",
    "师傅迟到了😡怎么办", "  人工  ", "", "？？？", "iPhone充电器 保修 1年吗 Ok", "㐀𠀀這兩個字認得嗎",
]
LONG = "我上个月在你们超市买的牛奶喝出怪味了，小票也弄丢了，" * 40  # past 512 tokens


def model_folder():
    return resolve_model_path("m3e-small")


@pytest.fixture(scope="module")
def theirs():
    return TransformersTokenizer(model_folder(), 512)


def assert_same(ours: dict, reference: dict) -> None:
    assert set(ours) == set(reference) == {"input_ids", "attention_mask", "token_type_ids"}
    for name in reference:
        assert ours[name].dtype == np.int64 and np.array_equal(ours[name], reference[name]), name


def test_tokenizer_json_gives_the_transformers_features_question_by_question_and_batched(theirs):
    ours = JsonTokenizer(model_folder(), 512)
    for question in QUESTIONS:
        assert_same(ours([question]), theirs([question]))
    batch = ours(QUESTIONS)
    assert_same(batch, theirs(QUESTIONS))
    assert batch["attention_mask"][QUESTIONS.index("")].sum() == 2  # [CLS] [SEP], then padding


def test_both_truncate_at_max_length_with_the_special_tokens_kept():
    for max_length in (8, 512):
        ours, reference = JsonTokenizer(model_folder(), max_length), TransformersTokenizer(model_folder(), max_length)
        texts = [LONG, "退货要带什么", LONG[:300]]
        features = ours(texts)
        assert_same(features, reference(texts))
        assert features["input_ids"].shape[1] == max_length and features["input_ids"][0, -1] == 102  # [SEP] last


def test_a_model_folder_without_tokenizer_json_falls_back_to_transformers_with_the_same_features(tmp_path, theirs):
    """The folder as older models ship it: vocab.txt and tokenizer_config.json only."""
    folder = tmp_path / "model"
    folder.mkdir()
    source = model_folder()
    for name in ("config.json", "tokenizer_config.json", "special_tokens_map.json"):
        shutil.copy(source / name, folder / name)
    vocab = json.loads((source / "tokenizer.json").read_text(encoding="utf-8"))["model"]["vocab"]
    (folder / "vocab.txt").write_text("".join(token + "\n" for token in sorted(vocab, key=vocab.get)), encoding="utf-8")
    fallback = open_query_tokenizer(folder, 512)
    assert isinstance(fallback, TransformersTokenizer)
    assert_same(fallback(QUESTIONS), theirs(QUESTIONS))
    assert isinstance(open_query_tokenizer(source, 512), JsonTokenizer)
