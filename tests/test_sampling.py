"""Sampling decoding on a scripted model: certain distributions give their one output, the length limit ends
an output, draws follow the model's probabilities (seeded, so the counts are fixed), and sentences that end
early leave the batch without the others losing their place."""

from __future__ import annotations

import torch
from test_search_scripted import A, B, C, D, ScriptedModel

from translator.sampling import sample
from translator.special import EOS_ID


def _draw(table: dict, n: int, max_len: int | list[int] = 5, seed: int = 0) -> list[list[int]]:
    """n outputs for one 3-piece source; ``max_len``: one limit for all, or each sentence's own."""
    src = torch.tensor([[8, 9, 10]] * n)
    limits = torch.tensor(max_len if isinstance(max_len, list) else [max_len] * n)
    generator = torch.Generator().manual_seed(seed)
    return sample(ScriptedModel(table), src, torch.tensor([3] * n), limits, generator)


def test_a_certain_distribution_gives_its_output_and_the_limit_ends_it() -> None:
    certain = {(): {A: 1.0}, (A,): {B: 1.0}, (A, B): {EOS_ID: 1.0}}
    assert _draw(certain, 3) == [[A, B]] * 3
    assert _draw(certain, 2, max_len=1) == [[A]] * 2


def test_draws_follow_the_probabilities() -> None:
    coin = {(): {A: 0.7, B: 0.3 - 1e-9}, (A,): {EOS_ID: 1.0}, (B,): {EOS_ID: 1.0}}
    outputs = _draw(coin, 2000, seed=3)
    share = sum(o == [A] for o in outputs) / len(outputs)
    assert 0.65 < share < 0.75 and all(o in ([A], [B]) for o in outputs)


def test_each_sentence_keeps_its_own_limit_when_others_end() -> None:
    certain = {(): {A: 1.0}, (A,): {B: 1.0}, (A, B): {C: 1.0}, (A, B, C): {EOS_ID: 1.0}}
    assert _draw(certain, 4, max_len=[1, 5, 2, 0]) == [[A], [A, B, C], [A, B], []]


def test_a_sentence_that_goes_on_keeps_its_own_history_after_others_end() -> None:
    # after A the output ends; after B it must go on with C then D: a row given another row's history
    # (a wrong reordering when the ended rows leave) would end early or continue wrongly
    fork = {
        (): {A: 0.5, B: 0.5 - 1e-9},
        (A,): {EOS_ID: 1.0},
        (B,): {C: 1.0},
        (B, C): {D: 1.0},
        (B, C, D): {EOS_ID: 1.0},
    }
    outputs = _draw(fork, 400, seed=5)
    assert {tuple(o) for o in outputs} == {(A,), (B, C, D)}
