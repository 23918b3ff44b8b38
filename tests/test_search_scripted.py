"""Search on a scripted model: the per-step probabilities are fixed by the test (as in OpenNMT-py's beam
search tests), so the right answer of each case is known by construction. Ids: 0-3 special, A=4 .. D=7."""

from __future__ import annotations

import math
from typing import NamedTuple

import pytest
import torch
from torch import Tensor

from translator.search import beam_search
from translator.special import EOS_ID

A, B, C, D = 4, 5, 6, 7
VOCAB = 8
Table = dict[tuple[int, ...], dict[int, float]]


class Rows(NamedTuple):
    """Per-row tensors that search reorders with ``select``: the source mask (B, S) or the history (N, T)."""

    data: Tensor

    def select(self, index: Tensor) -> Rows:
        return Rows(self.data.index_select(0, index))


class ScriptedModel:
    """A ``Searchable`` whose next-piece distribution depends only on the pieces output so far: ``table``
    maps an output prefix to {piece: probability}; the remaining mass is spread evenly over the other
    ids; a prefix missing from the table ends with probability 0.9. Attention is uniform."""

    def __init__(self, table: Table) -> None:
        self.table = table

    def distribution(self, prefix: tuple[int, ...]) -> Tensor:
        """prefix -> probabilities (V,)."""
        given = self.table.get(prefix, {EOS_ID: 0.9})
        rest = (1.0 - sum(given.values())) / (VOCAB - len(given))
        probs = torch.full((VOCAB,), rest, dtype=torch.float64)
        for piece, p in given.items():
            probs[piece] = p
        return probs

    def encode(self, src: Tensor, src_len: Tensor) -> tuple[Rows, Rows]:
        """-> the source mask (B, S) and an empty history (B, 0)."""
        return Rows(src != 0), Rows(torch.zeros(src.size(0), 0, dtype=torch.long))

    def step_logits(self, prev: Tensor, state: Rows, enc: Rows) -> tuple[Tensor, Rows, Tensor]:
        """prev (N,) -> log-probabilities (N, V), the history with prev appended (N, T + 1), attention (N, S)."""
        history = torch.cat([state.data, prev.unsqueeze(1)], dim=1)  # (N, T + 1), BOS first
        log_probs = torch.stack([self.distribution(tuple(row[1:].tolist())).log() for row in history])
        N, S = prev.size(0), enc.data.size(1)
        return log_probs.float(), Rows(history), torch.full((N, S), 1.0 / S)


def run(table: Table, beam: int, alpha: float = 0.0, max_len: int = 5) -> tuple[list[int], float]:
    """Decode one 3-piece source with beam search (beam 1: greedy) -> (tokens, score)."""
    src, src_len, limit = torch.tensor([[8, 9, 10]]), torch.tensor([3]), torch.tensor([max_len])
    hyp = beam_search(ScriptedModel(table), src, src_len, limit, beam, alpha)[0][0]
    return hyp.tokens, hyp.score


def lp(pieces_with_eos: int, alpha: float) -> float:
    return ((5.0 + pieces_with_eos) / 6.0) ** alpha


# Greedy takes A (0.5) and must continue through A's weak options; beam keeps B (0.4), which ends surely.
GARDEN_PATH: Table = {
    (): {A: 0.5, B: 0.4},
    (A,): {C: 0.35, EOS_ID: 0.3, D: 0.25},
    (A, C): {EOS_ID: 0.9},
    (B,): {EOS_ID: 0.95},
}


def test_greedy_and_beam_disagree_by_construction() -> None:
    assert run(GARDEN_PATH, beam=1) == ([A, C], pytest.approx(math.log(0.5 * 0.35 * 0.9)))
    assert run(GARDEN_PATH, beam=2) == ([B], pytest.approx(math.log(0.4 * 0.95)))


def test_eos_decides_an_early_end() -> None:
    """Ending at once (0.45) beats every continuation of the likelier A (0.55 * at most 0.5)."""
    table: Table = {(): {EOS_ID: 0.45, A: 0.55}, (A,): {EOS_ID: 0.5, B: 0.3}, (A, B): {EOS_ID: 0.9}}
    assert run(table, beam=1) == ([A], pytest.approx(math.log(0.55 * 0.5)))
    assert run(table, beam=3) == ([], pytest.approx(math.log(0.45)))


# A EOS has probability 0.3 (2 pieces with EOS); B C D EOS has 0.4 * 0.9 ** 3 = 0.2916 (4 pieces).
SHORT_OR_LONG: Table = {
    (): {A: 0.6, B: 0.4},
    (A,): {EOS_ID: 0.5},
    (B,): {C: 0.9},
    (B, C): {D: 0.9},
    (B, C, D): {EOS_ID: 0.9},
}


@pytest.mark.parametrize(("alpha", "expected", "prob", "pieces"), [(0.0, [A], 0.3, 2), (1.0, [B, C, D], 0.2916, 4)])
def test_length_penalty_decides_between_short_and_long(alpha, expected, prob, pieces) -> None:
    tokens, score = run(SHORT_OR_LONG, beam=4, alpha=alpha)
    assert tokens == expected
    assert score == pytest.approx(math.log(prob) / lp(pieces, alpha))


@pytest.mark.parametrize("beam", [1, 3])
@pytest.mark.parametrize("max_len", [1, 2, 4])
def test_max_length_decides_where_the_output_ends(beam, max_len) -> None:
    """The model never wants to stop (A: 0.9, EOS: 0.05); the limit ends it, with EOS forced at no cost."""
    endless = {prefix: {A: 0.9, EOS_ID: 0.05} for prefix in [(A,) * n for n in range(6)]}
    tokens, score = run(endless, beam=beam, alpha=0.6, max_len=max_len)
    assert tokens == [A] * max_len
    assert score == pytest.approx(max_len * math.log(0.9) / lp(max_len + 1, 0.6))


def test_the_beams_start_as_one_hypothesis_not_k_copies() -> None:
    """Beam 2 must keep B (0.1) beside A (0.6) after the first step; copies of the start hypothesis
    would fill the second slot with A again and lose B, the only good path (B EOS: 0.099; A's best: 0.076)."""
    table: Table = {(): {A: 0.6, B: 0.1}, (A,): {EOS_ID: 0.1, C: 0.1, D: 0.1}, (B,): {EOS_ID: 0.99}}
    assert run(table, beam=2) == ([B], pytest.approx(math.log(0.1 * 0.99)))
