"""Search invariants: beam 1 equals greedy, batch equals single, length limits, attention rows."""

import pytest
import torch

from translator.config import DecodeConfig, ModelConfig
from translator.model import Seq2Seq
from translator.search import beam_search, greedy_search, length_penalty, max_lengths, search

V = 30


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(3)
    cfg = ModelConfig(src_vocab_size=V, tgt_vocab_size=V, emb_dim=16, hidden_size=32, dropout=0.0, emb_dropout=0.0)
    return Seq2Seq(cfg).eval()


def batch(lengths):
    gen = torch.Generator().manual_seed(7)
    src_len = torch.tensor(lengths)
    src = torch.randint(4, V, (len(lengths), max(lengths)), generator=gen)
    src[torch.arange(max(lengths)).unsqueeze(0) >= src_len.unsqueeze(1)] = 0
    return src, src_len


@pytest.mark.parametrize("alpha", [0.0, 0.6, 1.0])
def test_beam_one_equals_greedy(model, alpha):
    src, src_len = batch([7, 5, 2, 9])
    cfg = DecodeConfig(length_penalty=alpha)
    greedy = search(model, src, src_len, cfg, beam_size=1)
    beam = beam_search(model, src, src_len, max_lengths(src_len, cfg), 1, alpha)
    assert [h.tokens for h in beam] == [h.tokens for h in greedy]
    assert [h.score for h in beam] == pytest.approx([h.score for h in greedy], abs=1e-5)


@pytest.mark.parametrize("beam_size", [1, 4])
def test_batch_equals_single(model, beam_size):
    src, src_len = batch([8, 3, 5, 1])
    cfg = DecodeConfig()
    batched = search(model, src, src_len, cfg, beam_size)
    for row in range(src.size(0)):
        n = int(src_len[row])
        alone = search(model, src[row : row + 1, :n], src_len[row : row + 1], cfg, beam_size)[0]
        assert alone.tokens == batched[row].tokens
        torch.testing.assert_close(alone.attention, batched[row].attention, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("beam_size", [1, 3])
def test_attention_matrix_shape_and_rows(model, beam_size):
    src, src_len = batch([6, 2])
    for hyp, n_src in zip(search(model, src, src_len, DecodeConfig(), beam_size), src_len.tolist()):
        assert hyp.attention.shape == (len(hyp.tokens), n_src)
        if hyp.tokens:
            torch.testing.assert_close(hyp.attention.sum(1), torch.ones(len(hyp.tokens)))


def test_outputs_respect_the_maximum_length(model):
    src, src_len = batch([4, 9])
    cfg = DecodeConfig(max_len_ratio=0.5, max_len_offset=1)
    limits = max_lengths(src_len, cfg).tolist()
    for beam_size in (1, 3):
        for hyp, limit in zip(search(model, src, src_len, cfg, beam_size), limits):
            assert len(hyp.tokens) <= limit
            assert model.cfg.eos_id not in hyp.tokens


def test_beam_search_finds_a_better_or_equal_model_score(model):
    """With no length penalty, a wider beam never returns a lower log-probability than greedy."""
    src, src_len = batch([6, 4, 8])
    cfg = DecodeConfig(length_penalty=0.0)
    greedy = search(model, src, src_len, cfg, 1)
    beam = search(model, src, src_len, cfg, 5)
    for g, b in zip(greedy, beam):
        assert b.score >= g.score - 1e-5


def test_length_penalty_is_one_for_alpha_zero_and_grows_with_length():
    lengths = torch.tensor([1, 5, 20])
    assert torch.all(length_penalty(lengths, 0.0) == 1.0)
    lp = length_penalty(lengths, 1.0)
    assert torch.all(lp[1:] > lp[:-1])


def test_greedy_is_deterministic(model):
    src, src_len = batch([5, 5])
    limit = max_lengths(src_len, DecodeConfig())
    first = greedy_search(model, src, src_len, limit, 0.6)
    second = greedy_search(model, src, src_len, limit, 0.6)
    assert [h.tokens for h in first] == [h.tokens for h in second]
