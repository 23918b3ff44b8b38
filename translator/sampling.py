"""Sampling decoding: each piece drawn from the model's distribution instead of searched for.

Sampled back-translation (Edunov et al. 2018) trains on such outputs: noisier than beam search's, and more
varied, which gives the forward model a richer training signal than the mode of the reverse model. Sampling
uses the same ``Searchable`` interface as beam search, keeps the per-sentence length limit, and draws from a
``torch.Generator`` the caller seeds, so that a run is repeatable.
"""

from __future__ import annotations

import torch
from torch import Tensor

from translator.search import Searchable
from translator.special import BOS_ID, EOS_ID, PAD_ID


@torch.inference_mode()
def sample(
    model: Searchable,
    src: Tensor,
    src_len: Tensor,
    max_len: Tensor,
    generator: torch.Generator,
    temperature: float = 1.0,
) -> list[list[int]]:
    """One sampled output (piece ids, without EOS) for each of the B sentences of src (B, S); ``max_len`` (B,)
    bounds each output (EOS not counted); the distribution is the softmax of the logits / ``temperature``."""
    if temperature <= 0:
        raise ValueError("temperature must be > 0")
    B = src.size(0)
    enc, state = model.encode(src, src_len)
    prev = torch.full((B,), BOS_ID, dtype=torch.long, device=src.device)  # (B,)
    done = torch.zeros(B, dtype=torch.bool, device=src.device)  # (B,)
    steps: list[Tensor] = []
    for t in range(int(max_len.max()) + 1):
        logits, state, _ = model.step_logits(prev, state, enc)  # (B, V)
        probs = torch.softmax(logits.float() / temperature, dim=-1)
        probs[:, PAD_ID] = 0.0
        piece = torch.multinomial(probs, 1, generator=generator).squeeze(1)  # (B,)
        piece = torch.where(max_len <= t, EOS_ID, piece)  # at the limit: end
        piece = torch.where(done, PAD_ID, piece)
        steps.append(piece)
        done |= piece == EOS_ID
        if bool(done.all()):
            break
        prev = torch.where(done, EOS_ID, piece)
    pieces = torch.stack(steps, dim=1).tolist()  # (B, T)
    return [row[: row.index(EOS_ID)] if EOS_ID in row else row for row in pieces]
