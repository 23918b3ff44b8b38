"""Shapes, masking, weight tying and initialisation of the encoder-decoder."""

import pytest
import torch

from translator.config import ConfigError, ModelConfig
from translator.model import Seq2Seq

V = 40


def small_config(**overrides) -> ModelConfig:
    base = dict(src_vocab_size=V, tgt_vocab_size=V, emb_dim=16, hidden_size=24, dropout=0.0, emb_dropout=0.0)
    base.update(overrides)
    return ModelConfig(**base)


def padded_batch():
    torch.manual_seed(0)
    src_len = torch.tensor([6, 3, 1])
    src = torch.randint(4, V, (3, 6))
    src[torch.arange(6).unsqueeze(0) >= src_len.unsqueeze(1)] = 0
    tgt = torch.randint(4, V, (3, 5))
    return src, src_len, tgt


@pytest.mark.parametrize("cell", ["lstm", "gru"])
@pytest.mark.parametrize("attention", ["dot", "general", "additive"])
@pytest.mark.parametrize("feeding", [True, False])
def test_shapes_and_attention_masking(cell, attention, feeding):
    model = Seq2Seq(small_config(cell=cell, attention=attention, input_feeding=feeding)).eval()
    src, src_len, tgt = padded_batch()
    logits, attn = model(src, src_len, tgt)
    assert logits.shape == (3, 5, V)
    assert attn.shape == (3, 5, 6)
    torch.testing.assert_close(attn.sum(-1), torch.ones(3, 5))
    for row, length in enumerate(src_len.tolist()):
        assert torch.all(attn[row, :, length:] == 0), "padded source positions must get exactly zero weight"


def test_output_layer_is_the_target_embedding():
    model = Seq2Seq(small_config())
    assert model.decoder.output.weight is model.tgt_embed.weight
    assert model.src_embed is not model.tgt_embed


def test_three_way_tying_shares_one_parameter():
    model = Seq2Seq(small_config(tie_src_tgt=True))
    assert model.src_embed.weight is model.tgt_embed.weight is model.decoder.output.weight
    untied = Seq2Seq(small_config())
    assert model.num_parameters() == untied.num_parameters() - V * 16


def test_three_way_tying_needs_joint_vocabulary():
    with pytest.raises(ConfigError, match="joint"):
        small_config(tie_src_tgt=True, src_vocab_size=V + 1)


def test_padding_does_not_change_the_encoding():
    model = Seq2Seq(small_config()).eval()
    src, src_len, tgt = padded_batch()
    wide = torch.cat([src, torch.zeros(3, 4, dtype=torch.long)], dim=1)
    logits, _ = model(src, src_len, tgt)
    logits_wide, attn_wide = model(wide, src_len, tgt)
    torch.testing.assert_close(logits, logits_wide)
    assert torch.all(attn_wide[:, :, 6:] == 0)


def test_initialisation_forget_gate_and_padding_row():
    model = Seq2Seq(small_config())
    hidden = 24
    layer = model.decoder.layers[0]
    assert torch.all(layer.bias_ih_l0[hidden : 2 * hidden] == 1.0)
    assert torch.all(layer.bias_ih_l0[:hidden] == 0.0)
    assert torch.all(model.tgt_embed.weight[0] == 0.0)


def test_teacher_forcing_matches_step_by_step_decoding():
    """The fused whole-sequence path and the step function compute the same thing."""
    for feeding in (True, False):
        model = Seq2Seq(small_config(input_feeding=feeding)).eval()
        src, src_len, tgt = padded_batch()
        logits, _ = model(src, src_len, tgt)
        enc, state = model.encode(src, src_len)
        steps = []
        for t in range(tgt.size(1)):
            vec, state, _ = model.decoder.step(tgt[:, t], state, enc.keys, enc.memory, enc.mask)
            steps.append(model.decoder.logits(vec))
        torch.testing.assert_close(torch.stack(steps, 1), logits, rtol=1e-4, atol=1e-5)


def test_teacher_forcing_gradients_match_step_by_step():
    """Looking up every target embedding at once gives the same gradients as one lookup per step."""
    model = Seq2Seq(small_config(input_feeding=True)).eval()
    src, src_len, tgt = padded_batch()

    def gradients(loss: torch.Tensor) -> list[torch.Tensor]:
        model.zero_grad()
        loss.backward()
        return [p.grad.clone() for p in model.parameters()]

    fused = gradients(model(src, src_len, tgt)[0].logsumexp(-1).sum())
    enc, state = model.encode(src, src_len)
    total = torch.zeros(())
    for t in range(tgt.size(1)):
        vec, state, _ = model.decoder.step(tgt[:, t], state, enc.keys, enc.memory, enc.mask)
        total = total + model.decoder.logits(vec).logsumexp(-1).sum()
    for got, want in zip(fused, gradients(total), strict=True):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-5)


def test_config_rejects_bad_values():
    with pytest.raises(ConfigError):
        small_config(hidden_size=23)
    with pytest.raises(ConfigError):
        small_config(dropout=1.5)
