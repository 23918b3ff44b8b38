"""Batched beam search that keeps each hypothesis's attention matrix; beam size 1 is greedy decoding.

Search respects a per-sentence maximum length, so a sentence decodes the same alone or in a batch, and
scores a hypothesis as the sum of its piece log-probabilities including EOS, divided by the GNMT length
penalty. Greedy decoding is beam 1 of the same search: there is no second implementation to keep in step.

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

from translator.config import DecodeConfig, n_best_problem
from translator.constrained import ConstraintSearch, Lexical
from translator.special import BOS_ID, EOS_ID, PAD_ID


class Searchable(Protocol):
    """What search needs of a model (``Seq2Seq`` and ``Ensemble`` provide it): ``encode`` -> (encoder
    output, state), both with ``select(index)`` over batch rows; and ``step_logits(prev (N,), state, enc)
    -> (scores (N, V), state, attention (N, S))``. The special ids are ``translator.special``'s."""

    def encode(self, src: Tensor, src_len: Tensor) -> tuple[Any, Any]: ...

    def step_logits(self, prev: Tensor, state: Any, enc: Any) -> tuple[Tensor, Any, Tensor]: ...


@dataclass(frozen=True)
class Hypothesis:
    """One output: piece ids without EOS, length-normalised score, attention (len(tokens), S), and the
    log-probability of every piece followed by EOS's (len(tokens) + 1,): they sum to the unnormalised score."""

    tokens: list[int]
    score: float
    attention: Tensor
    log_probs: Tensor


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


def _collect(
    tokens: Tensor, attn: Tensor, path_scores: Tensor, scores: Tensor, src_len: Tensor, eos: int
) -> list[Hypothesis]:
    """tokens (H, T), attn (H, T, S), path_scores (H, T) (running sums), scores (H,), src_len (H,) ->
    hypotheses cut at their first EOS, with each piece's log-probability (the steps of the running sum)."""
    hyps = []
    steps = torch.diff(path_scores.float(), dim=1, prepend=path_scores.new_zeros(path_scores.size(0), 1)).cpu()
    for toks, att, step, score, n_src in zip(tokens.tolist(), attn, steps, scores.tolist(), src_len.tolist()):
        n = toks.index(eos) if eos in toks else len(toks)
        hyps.append(Hypothesis(toks[:n], score, att[:n, :n_src].float().cpu(), step[: n + 1].clone()))
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


def _start(batch: int, k: int, device: torch.device) -> _Beams:
    """The first beams of ``batch`` sentences, k each (B * K,): BOS, length 0, score 0 for each sentence's
    first beam and -inf for the others (all beams start identical: one is kept)."""
    total = batch * k
    start = torch.zeros(batch, k, device=device)  # (B, K)
    start[:, 1:] = float("-inf")
    return _Beams(
        torch.arange(total, device=device),
        torch.full((total,), BOS_ID, dtype=torch.long, device=device),
        start.view(total),  # (B * K,)
        torch.zeros(total, dtype=torch.long, device=device),
        torch.zeros(total, dtype=torch.bool, device=device),
    )


def _candidates(logp: Tensor, scores: Tensor, finished: Tensor, must_end: Tensor, eos: int, pad: int) -> Tensor:
    """Extension scores (N, V) = scores (N,) + logp (N, V), except that a finished beam may only add
    padding and a beam at its length limit only EOS, either at zero cost (in place on ``logp``)."""
    cand = logp.add_(scores.unsqueeze(1))
    special = finished | must_end
    column = torch.where(finished, pad, eos).unsqueeze(1)
    value = torch.where(special, scores, cand.gather(1, column).squeeze(1)).unsqueeze(1)
    cand.masked_fill_(special.unsqueeze(1), float("-inf"))
    return cand.scatter_(1, column, value)


UNMET_PENALTY = 1e6  # subtracted from the rank (never the reported score) of a beam that missed a constraint
History = list[tuple[Tensor, Tensor, Tensor, Tensor]]


def _backtrack(history: History, index: Tensor) -> tuple[Tensor, Tensor, Tensor]:
    """Follow back-pointers from the final beams ``index`` (H,): history holds per step the chosen
    pieces (N,), their origin beams (N,), the step's attention (N, S) and the beams' scores after the step
    (N,) -> tokens (H, T), attn (H, T, S), running scores (H, T)."""
    tokens, attns, scores = [], [], []
    for pieces, origin, weights, step_scores in reversed(history):
        tokens.append(pieces.index_select(0, index))
        scores.append(step_scores.index_select(0, index))
        index = origin.index_select(0, index)
        attns.append(weights.index_select(0, index))
    return torch.stack(tokens[::-1], dim=1), torch.stack(attns[::-1], dim=1), torch.stack(scores[::-1], dim=1)


def _record(
    beams: _Beams, total: int, origin: Tensor, weights: Tensor, scores: Tensor, pad: int
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """One step of history over all ``total`` beams from the active ``beams`` (the others, whose sentences
    are done, add padding, point to themselves and keep their score ``scores`` (total,)): -> pieces (total,),
    origin (total,), attention (total, S), scores (total,). ``origin`` (A,) and ``weights`` (A, S) are
    indexed by active position."""
    rows = beams.rows
    all_pieces = beams.pieces.new_full((total,), pad).index_copy_(0, rows, beams.pieces)
    all_origin = torch.arange(total, device=rows.device).index_copy_(0, rows, rows.index_select(0, origin))
    all_weights = weights.new_zeros(total, weights.size(1)).index_copy_(0, rows, weights)
    return all_pieces, all_origin, all_weights.float(), scores.index_copy(0, rows, beams.scores)


def _beam_step(
    beams: _Beams, logp: Tensor, must_end: Tensor, k: int, constrained: ConstraintSearch | None = None
) -> tuple[_Beams, Tensor]:
    """Extend every active sentence's k beams by the k best of their k * V extensions (or, with
    ``constrained``, the k that dynamic beam allocation keeps): logp (A, V) with A = n * k active beams of
    n sentences -> the new beams and each new beam's origin (A,) (active positions)."""
    if constrained is not None:
        constrained.block(logp, must_end, EOS_ID)
    cand = _candidates(logp, beams.scores, beams.finished, must_end, EOS_ID, PAD_ID)
    A, V = cand.size()
    n = A // k
    if constrained is not None:
        origin, pieces, top_scores = constrained.select(cand, beams.finished)  # (A,) each
    else:
        top_scores, flat = cand.view(n, k * V).topk(k, dim=1)  # flat (n, k): index into a sentence's k * V
        beam_of, pieces = flat // V, flat % V  # (n, k) each: which of the sentence's k beams, which piece
        first_beam = torch.arange(0, A, k, device=logp.device).unsqueeze(1)  # (n, 1): active position of beam 0
        origin = (first_beam + beam_of).view(A)  # (A,): the active beam each new beam extends
        pieces = pieces.view(A)  # (A,)
    was_finished = beams.finished.index_select(0, origin)
    lengths = beams.lengths.index_select(0, origin) + (~was_finished).long()
    scored = top_scores.view(A)  # (n, k) -> (A,): one score a new beam
    return _Beams(beams.rows, pieces, scored, lengths, was_finished | (pieces == EOS_ID)), origin


@torch.inference_mode()
def beam_search(
    model: Searchable,
    src: Tensor,
    src_len: Tensor,
    max_len: Tensor,
    beam_size: int,
    alpha: float,
    n_best: int = 1,
    lexical: Lexical | None = None,
) -> list[list[Hypothesis]]:
    """Beam search over a batch; returns the ``n_best`` (<= beam_size) best hypotheses of each of the B
    sentences, best first.

    The B * K beams are decoded as one batch (the encoder output is shared by a sentence's K beams);
    a finished beam keeps its score and only extends with padding at zero cost, and the final ranking
    of the K beams uses the length penalty. A sentence whose K beams have all finished leaves the
    active batch. Each step keeps only back-pointers; the chosen hypotheses are read back at the end.
    ``lexical`` (one tuple of piece-id sequences per sentence, possibly empty) makes the search lexically
    constrained (``translator.constrained``): beams that met all their constraints rank first, and a
    sentence's length limit grows by its constraints' pieces.
    """
    if problem := n_best_problem(n_best, beam_size):
        raise ValueError(problem)
    k, device = beam_size, src.device
    total = src.size(0) * k
    enc, state = model.encode(src, src_len)
    state = state.select(torch.arange(src.size(0), device=device).repeat_interleave(k))
    beams = _start(src.size(0), k, device)
    scores, lengths = beams.scores.clone(), beams.lengths.clone()
    constrained = ConstraintSearch(lexical, k) if lexical and any(lexical.constraints) else None
    if constrained is not None:
        max_len = constrained.room(max_len)
    complete = torch.ones(total, dtype=torch.bool, device=device)  # (B * K,): met all its constraints
    history: History = []
    for t in range(int(max_len.max()) + 1):
        logp, state, weights = _step_log_probs(model, beams.pieces, state, enc)
        beams, origin = _beam_step(beams, logp, (max_len <= t).repeat_interleave(k), k, constrained)
        history.append(_record(beams, total, origin, weights, scores, PAD_ID))
        scores.index_copy_(0, beams.rows, beams.scores)
        lengths.index_copy_(0, beams.rows, beams.lengths)
        done = _settled(beams, constrained, complete, k).view(-1, k).all(dim=1)  # (n,): all its beams settled
        if bool(done.any()):  # one host sync per step, as any early stop needs
            if bool(done.all()):
                break
            keep = (~done).nonzero().squeeze(1)  # (n',) sentences still searching
            rows = (keep.unsqueeze(1) * k + torch.arange(k, device=device)).view(-1)  # (n' * k,) their beams
            enc, max_len, beams, origin = enc.select(keep), max_len[keep], beams.select(rows), origin[rows]
            if constrained is not None:
                constrained.keep(keep.tolist())
        state = state.select(origin)
    normalised = scores / length_penalty(lengths, alpha)
    return _best(history, normalised, normalised - UNMET_PENALTY * (~complete).float(), src_len, k, n_best)


def _settled(beams: _Beams, constrained: ConstraintSearch | None, complete: Tensor, k: int) -> Tensor:
    """(A,) beams that need no more steps: finished ones, and under constraints the hopeless ones; records in
    ``complete`` (B * K,) which active beams have met all their constraints."""
    if constrained is None:
        return beams.finished
    met = constrained.complete(beams.scores.device)  # (A,)
    complete.index_copy_(0, beams.rows, met)
    return beams.finished | _hopeless(beams, met, k)


def _hopeless(beams: _Beams, met: Tensor, k: int) -> Tensor:
    """(A,) beams that missed a constraint and score below their sentence's best finished beam that met them
    all: adding pieces only lowers a score, so they need not be decoded on (a beam still missing a constraint
    cannot end before its length limit, and would otherwise keep its sentence decoding until then)."""
    finished_met = torch.where(beams.finished & met, beams.scores, float("-inf")).view(-1, k)  # (n, k)
    best = finished_met.max(dim=1, keepdim=True).values  # (n, 1)
    below = beams.scores.view(-1, k) < best  # (n, k): below the sentence's best finished beam that met all
    return ~met & below.view(-1)  # (A,)


def _best(
    history: History, normalised: Tensor, rank: Tensor, src_len: Tensor, k: int, n_best: int
) -> list[list[Hypothesis]]:
    """The ``n_best`` beams of each sentence by ``rank`` (B * K,: the normalised score, lowered for beams that
    missed constraints), best first, read back from the history with their normalised score; beams that
    never held a live hypothesis (score -inf: fewer paths than beams) are left out."""
    B = normalised.numel() // k
    top = rank.view(B, k).topk(n_best, dim=1)[1]  # (B, n_best): sentence-local beam indices
    top_scores = normalised.view(B, k).gather(1, top)  # (B, n_best)
    flat = (top + torch.arange(0, B * k, k, device=top.device).unsqueeze(1)).view(-1)  # (B * n_best,)
    tokens, attn, path_scores = _backtrack(history, flat)
    ranked = top_scores.view(-1)  # (B * n_best,)
    hyps = _collect(tokens, attn, path_scores, ranked, src_len.repeat_interleave(n_best), EOS_ID)
    return [[h for h in hyps[b * n_best : (b + 1) * n_best] if h.score != float("-inf")] for b in range(B)]


def search_n_best(
    model: Searchable,
    src: Tensor,
    src_len: Tensor,
    cfg: DecodeConfig,
    n_best: int = 1,
    lexical: Lexical | None = None,
) -> list[list[Hypothesis]]:
    """Decode a padded batch with ``cfg``'s beam size (1: greedy), length penalty and length limit: the
    ``n_best`` best hypotheses of every sentence, best first (``lexical``: see ``beam_search``)."""
    max_len = max_lengths(src_len, cfg).to(src.device)
    return beam_search(model, src, src_len, max_len, cfg.beam_size, cfg.length_penalty, n_best, lexical)


def search(model: Searchable, src: Tensor, src_len: Tensor, cfg: DecodeConfig) -> list[Hypothesis]:
    """The best hypothesis of every sentence of a padded batch (``search_n_best`` with n_best 1)."""
    return [hyps[0] for hyps in search_n_best(model, src, src_len, cfg)]


__all__ = ["Hypothesis", "Searchable", "beam_search", "length_penalty", "max_lengths", "search", "search_n_best"]
