"""Attention decoder: stacked LSTM/GRU with residual connections, input feeding, tied output layer.

One set of parameters serves two execution paths: a step function (``torch.lstm_cell``) used for
search and for teacher forcing with input feeding, and a whole-sequence path (fused ``nn.LSTM``
calls, attention as one batched matmul) used for teacher forcing when input feeding is off.
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn

from translator.attention import build_attention
from translator.config import ModelConfig


class DecoderState(NamedTuple):
    """Recurrent state between steps: hidden (L, B, H), cell (L, B, H) or None for GRU, and the
    previous attentional vector fed back as input (B, H)."""

    hidden: Tensor
    cell: Tensor | None
    feed: Tensor

    def select(self, index: Tensor) -> DecoderState:
        """Reorder/repeat the batch rows: index (B',) -> state of batch size B'."""
        cell = None if self.cell is None else self.cell.index_select(1, index)
        return DecoderState(self.hidden.index_select(1, index), cell, self.feed.index_select(0, index))


class StepRNN(nn.Module):
    """A decoder layer that runs its own step, in place of an ``nn.LSTM``/``nn.GRU`` whose raw weights
    ``torch.lstm_cell``/``torch.gru_cell`` would use (``translator.quantize`` installs int8 ones)."""

    def step(self, x: Tensor, h: Tensor, c: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """x (B, In), h/c (B, H) (c None for GRU) -> new h, c."""
        raise NotImplementedError

    def forward(self, seq: Tensor, init: Tensor | tuple[Tensor, Tensor]) -> tuple[Tensor, None]:
        """``nn.LSTM``-like whole-sequence call, one step at a time: seq (B, T, In), init h (1, B, H)
        or (h, c) -> outputs (B, T, H) and None (the final state is not needed)."""
        h, c = (init, None) if isinstance(init, Tensor) else init
        h, c = h[0], None if c is None else c[0]
        outputs = []
        for t in range(seq.size(1)):
            h, c = self.step(seq[:, t], h, c)
            outputs.append(h)
        return torch.stack(outputs, dim=1), None


class Decoder(nn.Module):
    """Decoder of ``dec_layers`` single-layer RNNs; layers 2.. add their input to their output."""

    def __init__(self, cfg: ModelConfig, embed: nn.Embedding) -> None:
        super().__init__()
        self.cfg = cfg
        hidden = cfg.hidden_size
        self.embed = embed
        self.emb_dropout = nn.Dropout(cfg.emb_dropout)
        self.dropout = nn.Dropout(cfg.dropout)
        rnn_cls = nn.LSTM if cfg.cell == "lstm" else nn.GRU
        first_in = cfg.emb_dim + (hidden if cfg.input_feeding else 0)
        self.layers = nn.ModuleList(
            [rnn_cls(first_in if i == 0 else hidden, hidden, batch_first=True) for i in range(cfg.dec_layers)]
        )
        n_states = cfg.dec_layers * (2 if cfg.cell == "lstm" else 1)
        self.bridge = nn.Linear(hidden, n_states * hidden)
        self.attention = build_attention(cfg)
        self.combine = nn.Linear(2 * hidden, hidden, bias=False)
        self.out_proj = nn.Linear(hidden, cfg.emb_dim, bias=False)
        self.output = nn.Linear(cfg.emb_dim, cfg.tgt_vocab_size, bias=False)
        self.output.weight = embed.weight  # weight tying: one Parameter

    def init_state(self, final: Tensor) -> DecoderState:
        """final (B, H) encoder summary -> initial state with hidden/cell (L, B, H), feed zeros (B, H)."""
        B, L, H = final.size(0), self.cfg.dec_layers, self.cfg.hidden_size
        K = 2 if self.cfg.cell == "lstm" else 1  # state kinds: hidden and cell, or hidden only
        states = torch.tanh(self.bridge(final))  # (B, K * L * H)
        states = states.view(B, K, L, H).permute(1, 2, 0, 3)  # (K, L, B, H): per kind, per layer
        cell = states[1].contiguous() if K == 2 else None
        return DecoderState(states[0].contiguous(), cell, final.new_zeros(B, H))

    def _cell(self, i: int, x: Tensor, h: Tensor, c: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """One step of layer i: x (B, In), h/c (B, H) -> new h, c."""
        rnn = self.layers[i]
        if isinstance(rnn, StepRNN):
            return rnn.step(x, h, c)
        weights = (rnn.weight_ih_l0, rnn.weight_hh_l0, rnn.bias_ih_l0, rnn.bias_hh_l0)
        if c is None:
            return torch.gru_cell(x, h, *weights), None
        return torch.lstm_cell(x, (h, c), *weights)

    def _attend(self, top: Tensor, keys: Tensor, memory: Tensor, mask: Tensor) -> tuple[Tensor, Tensor]:
        """top (B, T, H) -> attentional vectors (B, T, H) and weights (B, T, S)."""
        context, weights = self.attention(top, keys, memory, mask)
        att_vec = torch.tanh(self.combine(torch.cat([top, context], dim=-1)))
        return self.dropout(att_vec), weights

    def step(
        self, prev: Tensor, state: DecoderState, keys: Tensor, memory: Tensor, mask: Tensor
    ) -> tuple[Tensor, DecoderState, Tensor]:
        """One decoding step for N = B * G hypotheses, G per source sentence (G = beam size in beam
        search, else 1): rows g * G .. g * G + G - 1 of ``prev`` and ``state`` belong to sentence g, so
        the encoder output is not repeated G times.

        Args:
            prev: (N,) previous target ids; keys (B, S, H); memory (B, S, H); mask (B, S).

        Returns:
            att_vec (N, H) (``logits`` turns it into scores), the new state, attention (N, S).
        """
        return self.step_embedded(self.emb_dropout(self.embed(prev)), state, keys, memory, mask)

    def step_embedded(
        self, x: Tensor, state: DecoderState, keys: Tensor, memory: Tensor, mask: Tensor
    ) -> tuple[Tensor, DecoderState, Tensor]:
        """``step`` from the previous targets' embeddings x (N, E), already through embedding dropout:
        teacher forcing looks up a whole batch's targets at once, so the embedding's gradient is built
        once per batch instead of once per step (a dense (V, E) buffer each time)."""
        if self.cfg.input_feeding:
            x = torch.cat([x, state.feed], dim=-1)
        new_h, new_c = [], []
        out = x
        for i in range(self.cfg.dec_layers):
            c_i = None if state.cell is None else state.cell[i]
            h_i, c_i = self._cell(i, out if i == 0 else self.dropout(out), state.hidden[i], c_i)
            out = h_i if i == 0 else h_i + out
            new_h.append(h_i)
            new_c.append(c_i)
        N, H = out.size()
        B = keys.size(0)
        G = N // B  # hypotheses per sentence
        queries = out.view(B, G, H)  # (B, G, H): a sentence's G hypotheses query its encoder output together
        att_vec, weights = self._attend(queries, keys, memory, mask)  # (B, G, H), (B, G, S)
        att_vec, weights = att_vec.reshape(N, H), weights.reshape(N, -1)  # (N, H), (N, S): a row per hypothesis
        cell = None if state.cell is None else torch.stack(new_c)  # (L, N, H)
        return att_vec, DecoderState(torch.stack(new_h), cell, att_vec), weights

    def _run_sequence(self, embedded: Tensor, state: DecoderState) -> Tensor:
        """Teacher forcing without input feeding: target embeddings (B, T, E) -> top-layer outputs (B, T, H)."""
        out = embedded
        for i, rnn in enumerate(self.layers):
            h0 = state.hidden[i : i + 1]
            init = h0 if state.cell is None else (h0, state.cell[i : i + 1])
            layer_out, _ = rnn(out if i == 0 else self.dropout(out), init)
            out = layer_out if i == 0 else layer_out + out
        return out

    def forward(
        self, tgt_in: Tensor, state: DecoderState, keys: Tensor, memory: Tensor, mask: Tensor
    ) -> tuple[Tensor, Tensor]:
        """Teacher forcing.

        Args:
            tgt_in: (B, T) target ids starting with BOS; the rest as in ``step``.

        Returns:
            logits (B, T, V) and attention (B, T, S).
        """
        embedded = self.emb_dropout(self.embed(tgt_in))  # (B, T, E): every step's input in one lookup
        if not self.cfg.input_feeding:
            att_vecs, weights = self._attend(self._run_sequence(embedded, state), keys, memory, mask)
            return self.logits(att_vecs), weights
        vecs, attns = [], []
        for t in range(tgt_in.size(1)):
            att_vec, state, weights = self.step_embedded(embedded[:, t], state, keys, memory, mask)
            vecs.append(att_vec)
            attns.append(weights)
        return self.logits(torch.stack(vecs, dim=1)), torch.stack(attns, dim=1)

    def logits(self, att_vec: Tensor) -> Tensor:
        """att_vec (..., H) -> logits (..., V) = proj(att_vec) · Eᵀ with the tied target embedding E."""
        return self.output(self.out_proj(att_vec))
