"""Forced alignment: the attention of a *given* translation, teacher-forced, at piece and word level.

The target is fed to the decoder as it is (BOS + its pieces), so row t of the attention is what the model
attended to while producing target piece t, and the last row belongs to EOS. Words are the whitespace
tokens of the input, kept as given (pre-tokenized text stays tokenized): each word is encoded on its own,
which gives the pieces of the whole sentence since SentencePiece pieces never cross whitespace, and every
piece knows its word. Word matrices merge pieces with ``translator.alignment.words.merge_matrix``.

``shift``: recurrent and Transformer decoders are known to attend to a target word's source one step late,
when the word is the input rather than the output; the shifted word matrix takes row t + 1 (the step whose
input is piece t) for target piece t.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import torch

from translator.alignment.words import merge_matrix
from translator.padding import lengths_of, pad_ids
from translator.special import BOS_ID, EOS_ID
from translator.tokenizer import Tokenizer

Spans = list[tuple[int, int]]


class AlignmentInputError(ValueError):
    """A sentence pair cannot be aligned (an empty side)."""


@dataclass(frozen=True)
class EncodedSide:
    """One side of a pair: its words, their pieces and ids, and each word's piece range [start, end)."""

    words: list[str]
    pieces: list[str]
    ids: list[int]
    spans: Spans


@dataclass(frozen=True)
class ForcedAlignment:
    """A pair's teacher-forced attention: ``attention`` has len(target.pieces) + 1 rows (the last: EOS) and
    len(source.pieces) columns; ``log_probs`` holds the model's log-probability of each target piece and EOS."""

    source: EncodedSide
    target: EncodedSide
    attention: list[list[float]]
    log_probs: list[float]

    def word_matrix(self, shift: bool = False) -> list[list[float]]:
        """Target words x source words; ``shift`` takes each piece's row from the step after it."""
        rows = self.attention[1:] if shift else self.attention[:-1]
        return merge_matrix(rows, self.source.spans, self.target.spans)


def encode_words(words: Sequence[str], encode: Callable[[str], tuple[list[int], list[str]]]) -> EncodedSide:
    """Encode each word alone: ``encode(word) -> (ids, pieces)``."""
    ids: list[int] = []
    pieces: list[str] = []
    spans: Spans = []
    for word in words:
        word_ids, word_pieces = encode(word)
        spans.append((len(ids), len(ids) + len(word_ids)))
        ids += word_ids
        pieces += word_pieces
    return EncodedSide(list(words), pieces, ids, spans)


def encode_pair(tokenizer: Tokenizer, source: str, target: str, where: str = "") -> tuple[EncodedSide, EncodedSide]:
    """Both sides of a pair, split into whitespace words; an empty side is an AlignmentInputError."""
    src_words, tgt_words = source.split(), target.split()
    if not src_words or not tgt_words:
        side = "source" if not src_words else "target"
        raise AlignmentInputError(f"{where}the {side} side is empty")

    def encode_target(word: str) -> tuple[list[int], list[str]]:
        ids = tokenizer.encode_target(word)
        return ids, tokenizer.target_pieces(ids)

    return encode_words(src_words, tokenizer.encode_source), encode_words(tgt_words, encode_target)


@torch.inference_mode()
def force_batch(
    model: torch.nn.Module, sources: Sequence[EncodedSide], targets: Sequence[EncodedSide]
) -> list[ForcedAlignment]:
    """Teacher-forced attention and log-probabilities of B pairs in one forward pass -> B ForcedAlignments.

    ``model(src (B, S), src_len (B,), tgt_in (B, T)) -> (scores (B, T, V), attention (B, T, S))``: a
    ``Seq2Seq`` or an ``Ensemble``; T = longest target + 1 (BOS in, EOS out)."""
    device = next(model.parameters()).device
    src, src_len = pad_ids([s.ids for s in sources]).to(device), lengths_of([s.ids for s in sources]).to(device)
    tgt_in = pad_ids([[BOS_ID, *t.ids] for t in targets]).to(device)  # (B, T)
    gold = pad_ids([[*t.ids, EOS_ID] for t in targets]).to(device)  # (B, T)
    scores, attention = model(src, src_len, tgt_in)
    log_probs = torch.log_softmax(scores.float(), dim=-1).gather(2, gold.unsqueeze(2)).squeeze(2)  # (B, T)
    out = []
    for row, (source, target) in enumerate(zip(sources, targets, strict=True)):
        steps, width = len(target.ids) + 1, len(source.ids)
        matrix = attention[row, :steps, :width].float().cpu().tolist()
        out.append(ForcedAlignment(source, target, matrix, log_probs[row, :steps].cpu().tolist()))
    return out


def force_align(
    model: torch.nn.Module, tokenizer: Tokenizer, pairs: Sequence[tuple[str, str]], batch_size: int = 64
) -> list[ForcedAlignment]:
    """Forced alignments of ``(source, target)`` pairs, in order (batched by source length)."""
    encoded = [encode_pair(tokenizer, s, t, f"pair {n + 1}: ") for n, (s, t) in enumerate(pairs)]
    order = sorted(range(len(encoded)), key=lambda n: len(encoded[n][0].ids))
    results: list[ForcedAlignment | None] = [None] * len(encoded)
    for start in range(0, len(order), batch_size):
        chunk = order[start : start + batch_size]
        aligned = force_batch(model, [encoded[n][0] for n in chunk], [encoded[n][1] for n in chunk])
        for n, alignment in zip(chunk, aligned, strict=True):
            results[n] = alignment
    return [r for r in results if r is not None]
