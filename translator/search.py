"""Batched greedy and beam search that keep each hypothesis's attention matrix.

Both searches respect a per-sentence maximum length, so a sentence decodes the same alone or in a
batch, and both score a hypothesis the same way (sum of piece log-probabilities including EOS,
divided by the GNMT length penalty), so beam size 1 reproduces greedy search exactly.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from translator.config import DecodeConfig
from translator.decoder import DecoderState
from translator.model import Encoded, Seq2Seq


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


def _step_log_probs(
    model: Seq2Seq, prev: Tensor, state: DecoderState, enc: Encoded, must_end: Tensor
) -> tuple[Tensor, DecoderState, Tensor]:
    """One decoder step: -> log-probs (N, V) (only EOS allowed where must_end), new state, attention (N, S)."""
    att_vec, state, weights = model.decoder.step(prev, state, enc.keys, enc.memory, enc.mask)
    logp = torch.log_softmax(model.decoder.logits(att_vec).float(), dim=-1)
    eos = model.cfg.eos_id
    forced = torch.full_like(logp, float("-inf"))
    forced[:, eos] = 0.0
    logp = torch.where(must_end.unsqueeze(1), forced, logp)
    return logp, state, weights


def _collect(tokens: Tensor, attn: Tensor, scores: Tensor, src_len: Tensor, eos: int) -> list[Hypothesis]:
    """tokens (B, T), attn (B, T, S), scores (B,) -> hypotheses cut at their first EOS."""
    hyps = []
    for toks, att, score, n_src in zip(tokens.tolist(), attn, scores.tolist(), src_len.tolist()):
        n = toks.index(eos) if eos in toks else len(toks)
        hyps.append(Hypothesis(toks[:n], score, att[:n, :n_src].float().cpu()))
    return hyps


@torch.inference_mode()
def greedy_search(model: Seq2Seq, src: Tensor, src_len: Tensor, max_len: Tensor, alpha: float) -> list[Hypothesis]:
    """Greedy decoding of a batch: src (B, S), src_len (B,), max_len (B,) -> B hypotheses."""
    cfg = model.cfg
    enc, state = model.encode(src, src_len)
    batch = src.size(0)
    prev = torch.full((batch,), cfg.bos_id, dtype=torch.long, device=src.device)
    finished = torch.zeros(batch, dtype=torch.bool, device=src.device)
    scores = torch.zeros(batch, device=src.device)
    lengths = torch.zeros(batch, dtype=torch.long, device=src.device)
    tokens, attns = [], []
    for t in range(int(max_len.max()) + 1):
        logp, state, weights = _step_log_probs(model, prev, state, enc, max_len <= t)
        best_lp, best = logp.max(dim=-1)
        best = best.masked_fill(finished, cfg.pad_id)
        scores += best_lp.masked_fill(finished, 0.0)
        lengths += (~finished).long()
        tokens.append(best)
        attns.append(weights)
        finished = finished | (best == cfg.eos_id)
        if bool(finished.all()):
            break
        prev = best
    scores = scores / length_penalty(lengths, alpha)
    return _collect(torch.stack(tokens, 1), torch.stack(attns, 1), scores, src_len, cfg.eos_id)


@torch.inference_mode()
def beam_search(
    model: Seq2Seq, src: Tensor, src_len: Tensor, max_len: Tensor, beam_size: int, alpha: float
) -> list[Hypothesis]:
    """Beam search over a batch; returns the best hypothesis of each of the B sentences.

    The B * K beams are decoded as one batch; a finished beam keeps its score and only extends
    with padding at zero cost, and the final choice among the K beams uses the length penalty.
    """
    cfg, k = model.cfg, beam_size
    batch, device = src.size(0), src.device
    enc, state = model.encode(src, src_len)
    expand = torch.arange(batch, device=device).repeat_interleave(k)
    enc, state, beam_max = enc.select(expand), state.select(expand), max_len.index_select(0, expand)
    scores = torch.zeros(batch, k, device=device)
    scores[:, 1:] = float("-inf")  # all beams start identical: keep one
    scores = scores.view(-1)
    prev = torch.full((batch * k,), cfg.bos_id, dtype=torch.long, device=device)
    finished = torch.zeros(batch * k, dtype=torch.bool, device=device)
    lengths = torch.zeros(batch * k, dtype=torch.long, device=device)
    tokens = torch.empty(batch * k, 0, dtype=torch.long, device=device)
    attn = torch.empty(batch * k, 0, src.size(1), device=device)
    base = torch.arange(batch, device=device).unsqueeze(1) * k
    for t in range(int(max_len.max()) + 1):
        logp, state, weights = _step_log_probs(model, prev, state, enc, beam_max <= t)
        logp = _freeze_finished(logp, finished, cfg.pad_id)
        vocab = logp.size(1)
        top_scores, top_idx = (scores.unsqueeze(1) + logp).view(batch, k * vocab).topk(k, dim=1)
        origin = (top_idx // vocab + base).view(-1)
        prev = (top_idx % vocab).view(-1)
        scores = top_scores.view(-1)
        lengths = lengths.index_select(0, origin) + (~finished.index_select(0, origin)).long()
        finished = finished.index_select(0, origin) | (prev == cfg.eos_id)
        tokens = torch.cat([tokens.index_select(0, origin), prev.unsqueeze(1)], dim=1)
        attn = torch.cat([attn.index_select(0, origin), weights.index_select(0, origin).unsqueeze(1).float()], 1)
        state = state.select(origin)  # encoder rows of one sentence are identical: no reorder needed
        if bool(finished.all()):
            break
    normalised = (scores / length_penalty(lengths, alpha)).view(batch, k)
    best = (normalised.argmax(dim=1) + base.squeeze(1)).long()
    return _collect(tokens[best], attn[best], normalised.view(-1)[best], src_len, cfg.eos_id)


def _freeze_finished(logp: Tensor, finished: Tensor, pad_id: int) -> Tensor:
    """Finished beams may only add padding, at zero cost: logp (N, V), finished (N,) -> (N, V)."""
    frozen = torch.full_like(logp, float("-inf"))
    frozen[:, pad_id] = 0.0
    return torch.where(finished.unsqueeze(1), frozen, logp)


def search(model: Seq2Seq, src: Tensor, src_len: Tensor, cfg: DecodeConfig, beam_size: int) -> list[Hypothesis]:
    """Decode a padded batch with greedy search (beam_size 1) or beam search."""
    max_len = max_lengths(src_len, cfg).to(src.device)
    if beam_size == 1:
        return greedy_search(model, src, src_len, max_len, cfg.length_penalty)
    return beam_search(model, src, src_len, max_len, beam_size, cfg.length_penalty)


__all__ = ["Hypothesis", "beam_search", "greedy_search", "length_penalty", "max_lengths", "search"]
