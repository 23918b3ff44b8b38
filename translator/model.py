"""The encoder-decoder translation model."""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor, nn

from translator.config import ModelConfig
from translator.decoder import Decoder, DecoderState
from translator.encoder import Encoder
from translator.special import PAD_ID


class Encoded(NamedTuple):
    """Encoder output needed by every decoding step: memory (B, S, H), projected keys (B, S, H),
    mask (B, S) True at real positions. Search reorders it with ``select``."""

    memory: Tensor
    keys: Tensor
    mask: Tensor

    def select(self, index: Tensor) -> Encoded:
        """index (B',) -> the rows of the batch in that order."""
        return Encoded(*(t.index_select(0, index) for t in self))


class Seq2Seq(nn.Module):
    """Bidirectional encoder + attention decoder with a tied output layer."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.tgt_embed = nn.Embedding(cfg.tgt_vocab_size, cfg.emb_dim, padding_idx=PAD_ID)
        if cfg.tie_src_tgt:
            self.src_embed = self.tgt_embed
        else:
            self.src_embed = nn.Embedding(cfg.src_vocab_size, cfg.emb_dim, padding_idx=PAD_ID)
        self.encoder = Encoder(cfg, self.src_embed)
        self.decoder = Decoder(cfg, self.tgt_embed)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Xavier-uniform matrices, zero biases, LSTM forget-gate bias 1, zero padding embedding."""
        for name, param in self.named_parameters():
            if param.dim() > 1:
                nn.init.xavier_uniform_(param)
            else:
                nn.init.zeros_(param)
            if self.cfg.cell == "lstm" and "bias_ih" in name:
                hidden = param.size(0) // 4
                param.data[hidden : 2 * hidden].fill_(1.0)
        for embed in {self.src_embed, self.tgt_embed}:
            embed.weight.data[PAD_ID].zero_()

    def encode(self, src: Tensor, src_len: Tensor) -> tuple[Encoded, DecoderState]:
        """src (B, S), src_len (B,) -> encoder output and the decoder's initial state."""
        memory, final = self.encoder(src, src_len)
        mask = src != PAD_ID
        keys = self.decoder.attention.project_keys(memory)
        return Encoded(memory, keys, mask), self.decoder.init_state(final)

    def forward(self, src: Tensor, src_len: Tensor, tgt_in: Tensor) -> tuple[Tensor, Tensor]:
        """Teacher-forced scores: src (B, S), src_len (B,), tgt_in (B, T) -> logits (B, T, V),
        attention (B, T, S)."""
        enc, state = self.encode(src, src_len)
        return self.decoder(tgt_in, state, enc.keys, enc.memory, enc.mask)

    def step_logits(self, prev: Tensor, state: DecoderState, enc: Encoded) -> tuple[Tensor, DecoderState, Tensor]:
        """One search step for N = B * G rows (G per sentence, see ``Decoder.step``): prev (N,) ->
        scores (N, V) (unnormalised logits; search applies log-softmax), new state, attention (N, S)."""
        att_vec, state, weights = self.decoder.step(prev, state, enc.keys, enc.memory, enc.mask)
        return self.decoder.logits(att_vec), state, weights

    def num_parameters(self) -> int:
        """Number of distinct trainable parameters (tied ones counted once)."""
        return sum(p.numel() for p in self.parameters())
