"""Sampling decoding: each piece drawn from the model's distribution instead of searched for.

Sampled back-translation (Edunov et al. 2018) trains on such outputs: noisier than beam search's, and more
varied, which gives the forward model a richer training signal than the mode of the reverse model. Sampling
uses the same ``Searchable`` interface as beam search, keeps the per-sentence length limit, and draws from a
``torch.Generator`` the caller seeds, so that a run is repeatable. As in beam search, a sentence that has
ended leaves the active batch, so later steps compute only the sentences still drawing.
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
    B, T = src.size(0), int(max_len.max()) + 1
    enc, state = model.encode(src, src_len)
    pieces = torch.full((B, T), PAD_ID, dtype=torch.long, device=src.device)  # (B, T): every draw, by sentence
    rows = torch.arange(B, device=src.device)  # (A,): the sentence of each active row
    prev = torch.full((B,), BOS_ID, dtype=torch.long, device=src.device)  # (A,)
    for t in range(T):
        logits, state, _ = model.step_logits(prev, state, enc)  # (A, V)
        probs = torch.softmax(logits.float() / temperature, dim=-1)
        probs[:, PAD_ID] = 0.0
        piece = torch.multinomial(probs, 1, generator=generator).squeeze(1)  # (A,)
        piece = torch.where(max_len <= t, EOS_ID, piece)  # at the limit: end
        pieces[rows, t] = piece
        ended = piece == EOS_ID  # (A,)
        if bool(ended.any()):  # an ended sentence leaves the active batch, as in beam search
            if bool(ended.all()):
                break
            keep = (~ended).nonzero().squeeze(1)  # (A',) rows still drawing
            rows, max_len, piece = rows[keep], max_len[keep], piece[keep]
            enc, state = enc.select(keep), state.select(keep)
        prev = piece
    return [row[: row.index(EOS_ID)] for row in pieces.tolist()]
