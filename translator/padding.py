"""Padding of id lists into batch tensors: the one helper for inference (``translator.translate``),
training batches (``training.datamodule``) and tests."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import Tensor

from translator.special import PAD_ID


def pad_ids(rows: Sequence[Sequence[int]]) -> Tensor:
    """Right-pad B id lists with ``PAD_ID`` -> (B, max length) long tensor (at least one column)."""
    if not rows:
        raise ValueError("pad_ids needs at least one row")
    width = max(1, max(len(row) for row in rows))
    out = torch.full((len(rows), width), PAD_ID, dtype=torch.long)
    for i, row in enumerate(rows):
        out[i, : len(row)] = torch.tensor(list(row), dtype=torch.long)
    return out


def lengths_of(rows: Sequence[Sequence[int]]) -> Tensor:
    """The length of each of the B id lists -> (B,) long tensor."""
    return torch.tensor([len(row) for row in rows], dtype=torch.long)
