"""Bidirectional recurrent encoder over packed sequences."""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from translator.config import ModelConfig


class Encoder(nn.Module):
    """Embedding -> dropout -> bidirectional LSTM/GRU (``enc_layers`` deep).

    Each direction has ``hidden_size // 2`` units, so the concatenated states have ``hidden_size``.
    """

    def __init__(self, cfg: ModelConfig, embed: nn.Embedding) -> None:
        super().__init__()
        self.embed = embed
        self.emb_dropout = nn.Dropout(cfg.emb_dropout)
        rnn_cls = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        self.rnn = rnn_cls(
            cfg.emb_dim,
            cfg.hidden_size // 2,
            num_layers=cfg.enc_layers,
            batch_first=True,
            bidirectional=True,
            dropout=cfg.dropout if cfg.enc_layers > 1 else 0.0,
        )
        self.out_dropout = nn.Dropout(cfg.dropout)

    def forward(self, src: Tensor, src_len: Tensor) -> tuple[Tensor, Tensor]:
        """Encode a padded batch.

        Args:
            src: (B, S) token ids, padded on the right.
            src_len: (B,) true lengths, each >= 1 (on any device).

        Returns:
            memory (B, S, H) with zeros at padded positions, and final (B, H): the last layer's
            final forward state concatenated with its final backward state.
        """
        assert src.dim() == 2 and src_len.shape == src.shape[:1], "encoder: bad shapes"
        emb = self.emb_dropout(self.embed(src))
        packed = pack_padded_sequence(emb, src_len.cpu(), batch_first=True, enforce_sorted=False)
        out, state = self.rnn(packed)
        memory, _ = pad_packed_sequence(out, batch_first=True, total_length=src.size(1))
        h_n = state[0] if isinstance(state, tuple) else state  # (layers * 2, B, H / 2)
        final = torch.cat([h_n[-2], h_n[-1]], dim=-1)  # (B, H): last layer, forward then backward
        return self.out_dropout(memory), final
