"""Sampling decoding on a scripted model: certain distributions give their one output, the length limit ends
an output, and draws follow the model's probabilities (seeded, so the counts are fixed)."""

from __future__ import annotations

import torch
from test_search_scripted import A, B, ScriptedModel

from translator.sampling import sample
from translator.special import EOS_ID


def _draw(table: dict, n: int, max_len: int = 5, seed: int = 0) -> list[list[int]]:
    src = torch.tensor([[8, 9, 10]] * n)
    generator = torch.Generator().manual_seed(seed)
    return sample(ScriptedModel(table), src, torch.tensor([3] * n), torch.tensor([max_len] * n), generator)


def test_a_certain_distribution_gives_its_output_and_the_limit_ends_it() -> None:
    certain = {(): {A: 1.0}, (A,): {B: 1.0}, (A, B): {EOS_ID: 1.0}}
    assert _draw(certain, 3) == [[A, B]] * 3
    assert _draw(certain, 2, max_len=1) == [[A]] * 2


def test_draws_follow_the_probabilities() -> None:
    coin = {(): {A: 0.7, B: 0.3 - 1e-9}, (A,): {EOS_ID: 1.0}, (B,): {EOS_ID: 1.0}}
    outputs = _draw(coin, 2000, seed=3)
    share = sum(o == [A] for o in outputs) / len(outputs)
    assert 0.65 < share < 0.75 and all(o in ([A], [B]) for o in outputs)
