"""Batched beam search that keeps each hypothesis's attention matrix; beam size 1 is greedy decoding.

Search respects a per-sentence maximum length, so a sentence decodes the same alone or in a batch, and
scores a hypothesis as the sum of its piece log-probabilities including EOS, divided by the GNMT length
penalty. There is one search: a separate greedy implementation was measured no faster than beam 1
(0.98-1.08x on test_2016_flickr, ``bench/results/search-vm-2026-11-25.json``) and removed.

Speed: a sentence whose K beams have all finished leaves the active batch, so later steps compute only
the rows still decoding; the K beams share their sentence's encoder output instead of copying it, and
only back-pointers are kept rather than every hypothesis's history. Each step has one host sync (the
early-stop / compaction test).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import torch
from torch import Tensor

from translator.config import DecodeConfig
from translator.special import BOS_ID, EOS_ID, PAD_ID


class Searchable(Protocol):
    """What search needs of a model (``Seq2Seq`` and ``Ensemble`` provide it): ``encode`` -> (encoder
    output, state), both with ``select(index)`` over batch rows; and ``step_logits(prev (N,), state, enc)
    -> (scores (N, V), state, attention (N, S))``. The special ids are ``translator.special``'s."""

    def encode(self, src: Tensor, src_len: Tensor) -> tuple[Any, Any]: ...

    def step_logits(self, prev: Tensor, state: Any, enc: Any) -> tuple[Tensor, Any, Tensor]: ...


@dataclass(frozen=True)
class Hypothesis:
    """One output: piece ids without EOS, length-normalised score, attention (len(tokens), S)."""

    tokens: list[int]
    score: float
    attention: Tensor


def max_lengths(src_len: Tensor, cfg: DecodeConfig) -> Tensor:
    """src_len (B,) -> maximum number of output pieces (B,), EOS not counted."""
    return torch.ceil(src_len.float() * cfg.max_len_ratio + cfg.max_len_offset).long()


def length_penalty(lengths: Tensor, alpha: float) -> Tensor:
    """GNMT length penalty ((5 + |Y|) / 6) ** alpha; lengths (N,) count EOS."""
    return ((5.0 + lengths.float()) / 6.0) ** alpha


def _step_log_probs(model: Searchable, prev: Tensor, state: Any, enc: Any) -> tuple[Tensor, Any, Tensor]:
    """One decoder step: prev (N,) -> log-probs (N, V), new state, attention (N, S)."""
    logits, state, weights = model.step_logits(prev, state, enc)
    return torch.log_softmax(logits.float(), dim=-1), state, weights


def _collect(tokens: Tensor, attn: Tensor, scores: Tensor, src_len: Tensor, eos: int) -> list[Hypothesis]:
    """tokens (B, T), attn (B, T, S), scores (B,) -> hypotheses cut at their first EOS."""
    hyps = []
    for toks, att, score, n_src in zip(tokens.tolist(), attn, scores.tolist(), src_len.tolist()):
        n = toks.index(eos) if eos in toks else len(toks)
        hyps.append(Hypothesis(toks[:n], score, att[:n, :n_src].float().cpu()))
    return hyps


class _Beams(NamedTuple):
    """The active beams of one search: global row (A,), last piece, score, length with EOS, finished."""

    rows: Tensor
    pieces: Tensor
    scores: Tensor
    lengths: Tensor
    finished: Tensor

    def select(self, index: Tensor) -> _Beams:
        return _Beams(*(t.index_select(0, index) for t in self))


def _candidates(logp: Tensor, scores: Tensor, finished: Tensor, must_end: Tensor, eos: int, pad: int) -> Tensor:
    """Extension scores (N, V) = scores (N,) + logp (N, V), except that a finished beam may only add
    padding and a beam at its length limit only EOS, either at zero cost (in place on ``logp``)."""
    cand = logp.add_(scores.unsqueeze(1))
    special = finished | must_end
    column = torch.where(finished, pad, eos).unsqueeze(1)
    value = torch.where(special, scores, cand.gather(1, column).squeeze(1)).unsqueeze(1)
    cand.masked_fill_(special.unsqueeze(1), float("-inf"))
    return cand.scatter_(1, column, value)


def _backtrack(history: list[tuple[Tensor, Tensor, Tensor]], index: Tensor) -> tuple[Tensor, Tensor]:
    """Follow back-pointers from the final beams ``index`` (B,): history holds per step the chosen
    pieces (N,), their origin beams (N,) and the step's attention (N, S) -> tokens (B, T), attn (B, T, S)."""
    tokens, attns = [], []
    for pieces, origin, weights in reversed(history):
        tokens.append(pieces.index_select(0, index))
        index = origin.index_select(0, index)
        attns.append(weights.index_select(0, index))
    return torch.stack(tokens[::-1], dim=1), torch.stack(attns[::-1], dim=1)


def _record(
    rows: Tensor, total: int, pieces: Tensor, origin: Tensor, weights: Tensor, pad: int
) -> tuple[Tensor, Tensor, Tensor]:
    """One step of history over all ``total`` beams from the active ``rows`` (A,) (the others, whose
    sentences are done, add padding and point to themselves): -> pieces (total,), origin (total,), attention
    (total, S). ``origin`` (A,) and ``weights`` (A, S) are indexed by active position."""
    all_pieces = pieces.new_full((total,), pad).index_copy_(0, rows, pieces)
    all_origin = torch.arange(total, device=rows.device).index_copy_(0, rows, rows.index_select(0, origin))
    all_weights = weights.new_zeros(total, weights.size(1)).index_copy_(0, rows, weights)
    return all_pieces, all_origin, all_weights.float()


def _beam_step(beams: _Beams, logp: Tensor, must_end: Tensor, k: int) -> tuple[_Beams, Tensor]:
    """Extend every active sentence's k beams by the k best of their k * V extensions: logp (A, V) with
    A = n * k active beams of n sentences -> the new beams and each new beam's origin (A,) (active
    positions)."""
    cand = _candidates(logp, beams.scores, beams.finished, must_end, EOS_ID, PAD_ID)
    A, V = cand.size()
    n = A // k
    top_scores, flat = cand.view(n, k * V).topk(k, dim=1)  # flat (n, k): index into a sentence's k * V candidates
    beam_of, pieces = flat // V, flat % V  # (n, k) each: which of the sentence's k beams, which piece
    first_beam = torch.arange(0, A, k, device=logp.device).unsqueeze(1)  # (n, 1): active position of beam 0
    origin = (first_beam + beam_of).view(A)  # (A,): the active beam each new beam extends
    pieces = pieces.view(A)  # (A,)
    was_finished = beams.finished.index_select(0, origin)
    lengths = beams.lengths.index_select(0, origin) + (~was_finished).long()
    return _Beams(beams.rows, pieces, top_scores.view(A), lengths, was_finished | (pieces == EOS_ID)), origin


@torch.inference_mode()
def beam_search(
    model: Searchable, src: Tensor, src_len: Tensor, max_len: Tensor, beam_size: int, alpha: float
) -> list[Hypothesis]:
    """Beam search over a batch; returns the best hypothesis of each of the B sentences.

    The B * K beams are decoded as one batch (the encoder output is shared by a sentence's K beams);
    a finished beam keeps its score and only extends with padding at zero cost, and the final choice
    among the K beams uses the length penalty. A sentence whose K beams have all finished leaves the
    active batch. Each step keeps only back-pointers; the chosen hypotheses are read back at the end.
    """
    k, device = beam_size, src.device
    total = src.size(0) * k
    enc, state = model.encode(src, src_len)
    state = state.select(torch.arange(src.size(0), device=device).repeat_interleave(k))
    start = torch.zeros(src.size(0), k, device=device)  # (B, K)
    start[:, 1:] = float("-inf")  # all beams start identical: keep one
    beams = _Beams(
        torch.arange(total, device=device),
        torch.full((total,), BOS_ID, dtype=torch.long, device=device),
        start.view(total),
        torch.zeros(total, dtype=torch.long, device=device),
        torch.zeros(total, dtype=torch.bool, device=device),
    )
    scores, lengths = start.view(total).clone(), torch.zeros(total, dtype=torch.long, device=device)
    history: list[tuple[Tensor, Tensor, Tensor]] = []
    for t in range(int(max_len.max()) + 1):
        logp, state, weights = _step_log_probs(model, beams.pieces, state, enc)
        beams, origin = _beam_step(beams, logp, (max_len <= t).repeat_interleave(k), k)
        history.append(_record(beams.rows, total, beams.pieces, origin, weights, PAD_ID))
        scores.index_copy_(0, beams.rows, beams.scores)
        lengths.index_copy_(0, beams.rows, beams.lengths)
        done = beams.finished.view(-1, k).all(dim=1)  # (n,): every beam of the sentence has finished
        if bool(done.any()):  # one host sync per step, as any early stop needs
            if bool(done.all()):
                break
            keep = (~done).nonzero().squeeze(1)
            keep_beams = (keep.unsqueeze(1) * k + torch.arange(k, device=device)).view(-1)  # (n' * k,)
            enc, max_len, beams, origin = enc.select(keep), max_len[keep], beams.select(keep_beams), origin[keep_beams]
        state = state.select(origin)
    normalised = scores / length_penalty(lengths, alpha)  # (B * K,)
    best = normalised.view(-1, k).argmax(dim=1) + torch.arange(0, total, k, device=device)  # (B,) flat beam index
    tokens, attn = _backtrack(history, best)
    return _collect(tokens, attn, normalised[best], src_len, EOS_ID)


def search(model: Searchable, src: Tensor, src_len: Tensor, cfg: DecodeConfig) -> list[Hypothesis]:
    """Decode a padded batch with ``cfg``'s beam size (1: greedy), length penalty and length limit."""
    max_len = max_lengths(src_len, cfg).to(src.device)
    return beam_search(model, src, src_len, max_len, cfg.beam_size, cfg.length_penalty)


__all__ = ["Hypothesis", "Searchable", "beam_search", "length_penalty", "max_lengths", "search"]
