"""An ensemble of models decoded as one: at every step the members' log-probabilities are averaged.

The members must share the vocabularies (the same SentencePiece model(s));
they may differ in anything else (sizes, input feeding, attention, training run). Search treats an
``Ensemble`` exactly like a ``Seq2Seq`` (see ``translator.search.Searchable``); the alignment it
returns is the mean of the members' attention weights.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from translator.decoder import DecoderState
from translator.model import Encoded, Seq2Seq


class EnsembleEncoded(NamedTuple):
    """One ``Encoded`` per member, reordered together."""

    members: tuple[Encoded, ...]

    def select(self, index: Tensor) -> EnsembleEncoded:
        """index (B',) -> every member's encoder output restricted to those rows."""
        return EnsembleEncoded(tuple(enc.select(index) for enc in self.members))


class EnsembleState(NamedTuple):
    """One ``DecoderState`` per member, reordered together."""

    members: tuple[DecoderState, ...]

    def select(self, index: Tensor) -> EnsembleState:
        """index (N',) -> every member's state restricted to (or repeated into) those rows."""
        return EnsembleState(tuple(state.select(index) for state in self.members))


class Ensemble(nn.Module):
    """Several ``Seq2Seq`` models whose per-step log-probabilities are averaged (the geometric mean of
    their distributions, renormalised by search's log-softmax)."""

    def __init__(self, models: list[Seq2Seq]) -> None:
        super().__init__()
        if len(models) < 2:
            raise ValueError("an ensemble needs at least two models")
        sizes = {(model.cfg.src_vocab_size, model.cfg.tgt_vocab_size) for model in models}
        if len(sizes) > 1:
            raise ValueError(f"ensemble members must share vocabulary sizes (got {sorted(sizes)})")
        self.members = nn.ModuleList(models)

    def encode(self, src: Tensor, src_len: Tensor) -> tuple[EnsembleEncoded, EnsembleState]:
        """src (B, S), src_len (B,) -> every member's encoder output and initial decoder state."""
        pairs = [model.encode(src, src_len) for model in self.members]
        return EnsembleEncoded(tuple(p[0] for p in pairs)), EnsembleState(tuple(p[1] for p in pairs))

    def forward(self, src: Tensor, src_len: Tensor, tgt_in: Tensor) -> tuple[Tensor, Tensor]:
        """Teacher-forced scores as the ensemble decodes: src (B, S), src_len (B,), tgt_in (B, T) -> mean
        member log-probabilities (B, T, V) (search renormalises them) and mean attention (B, T, S)."""
        outputs = [model(src, src_len, tgt_in) for model in self.members]
        log_probs = torch.stack([torch.log_softmax(logits.float(), dim=-1) for logits, _ in outputs]).mean(dim=0)
        return log_probs, torch.stack([attention.float() for _, attention in outputs]).mean(dim=0)

    def step_logits(
        self, prev: Tensor, state: EnsembleState, enc: EnsembleEncoded
    ) -> tuple[Tensor, EnsembleState, Tensor]:
        """prev (N,) -> mean member log-probabilities (N, V), new states, mean attention (N, S)."""
        log_probs, states, weights = [], [], []
        for model, member_state, member_enc in zip(self.members, state.members, enc.members):
            logits, new_state, attention = model.step_logits(prev, member_state, member_enc)
            log_probs.append(torch.log_softmax(logits.float(), dim=-1))
            states.append(new_state)
            weights.append(attention.float())
        return torch.stack(log_probs).mean(dim=0), EnsembleState(tuple(states)), torch.stack(weights).mean(dim=0)

    def num_parameters(self) -> int:
        """Parameters of all members together."""
        return sum(model.num_parameters() for model in self.members)


__all__ = ["Ensemble", "EnsembleEncoded", "EnsembleState"]
