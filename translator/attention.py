"""Attention over encoder states: dot, general (Luong) and additive (Bahdanau).

Keys are projected once per batch by ``project_keys``; ``forward`` then scores any number of
queries against them. Padded source positions get exactly zero weight.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from translator.config import ModelConfig


class Attention(nn.Module):
    """Scores decoder queries against encoder memory.

    Args:
        kind: ``dot`` (q·k, needs equal sizes), ``general`` (q·Wk) or ``additive`` (v·tanh(Wq q + Wk k)).
        query_size: decoder hidden size H.
        memory_size: encoder state size H_enc.
    """

    def __init__(self, kind: str, query_size: int, memory_size: int) -> None:
        super().__init__()
        self.kind = kind
        if kind == "dot":
            if query_size != memory_size:
                raise ValueError("dot attention needs query_size == memory_size")
            self.key_proj = nn.Identity()
        elif kind == "general":
            self.key_proj = nn.Linear(memory_size, query_size, bias=False)
        elif kind == "additive":
            self.key_proj = nn.Linear(memory_size, query_size, bias=False)
            self.query_proj = nn.Linear(query_size, query_size, bias=True)
            self.energy = nn.Linear(query_size, 1, bias=False)
        else:
            raise ValueError(f"unknown attention kind {kind!r}")

    def project_keys(self, memory: Tensor) -> Tensor:
        """memory (B, S, H_enc) -> keys (B, S, H)."""
        return self.key_proj(memory)

    def scores(self, query: Tensor, keys: Tensor) -> Tensor:
        """query (B, T, H), keys (B, S, H) -> unnormalised scores (B, T, S)."""
        if self.kind == "additive":
            hidden = torch.tanh(self.query_proj(query).unsqueeze(2) + keys.unsqueeze(1))  # (B, T, S, H)
            return self.energy(hidden).squeeze(-1)
        return torch.bmm(query, keys.transpose(1, 2))  # (B, T, H) x (B, H, S) -> (B, T, S)

    def forward(self, query: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """Attend.

        Args:
            query: (B, T, H) decoder states (T = 1 while decoding step by step).
            keys: (B, S, H) from ``project_keys``.
            memory: (B, S, H_enc) encoder states (the values).
            mask: (B, S) bool, True at real source positions.

        Returns:
            context (B, T, H_enc) in ``memory``'s dtype and weights (B, T, S) in fp32; each weight row sums
            to 1 over real positions.
        """
        assert query.dim() == 3 and mask.shape == memory.shape[:2], "attention: bad shapes"
        scores = self.scores(query, keys).float()
        scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
        weights = torch.softmax(scores, dim=-1)  # fp32 even for a bf16 model: the alignment is an output
        return torch.bmm(weights.to(memory.dtype), memory), weights


def build_attention(cfg: ModelConfig) -> Attention:
    """The attention module the config asks for (encoder states have ``hidden_size`` features)."""
    return Attention(cfg.attention, cfg.hidden_size, cfg.hidden_size)
