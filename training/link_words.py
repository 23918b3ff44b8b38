"""The words that guided-alignment links index, and which pieces make up each word.

Two units (``data.alignment_words``):

- ``whitespace``: the whitespace-separated words of the raw text, as given ("dog." is one word);
- ``moses``: the text's Moses tokens (sacremoses, the tokenizer that the WPT gold sets and most alignment test
  sets were made with: "dog." is "dog" and "."), lowercased for the aligner.

A word is a character span of the text; a piece belongs to every word its own character span overlaps (a
lone "▁" to the word after it).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import get_args

from sacremoses import MosesTokenizer

from training.config import WordUnit
from translator.tokenizer import Span

WORD_UNITS: tuple[str, ...] = get_args(WordUnit)
_WHITESPACE_WORD = re.compile(r"\S+")


class WordSplitError(ValueError):
    """A Moses token could not be found in the text it was cut from."""


@lru_cache(maxsize=16)
def _moses(lang: str) -> MosesTokenizer:
    """One Moses tokenizer per language (read-only after construction, so it may be shared)."""
    return MosesTokenizer(lang=lang)


def moses_tokens(text: str, lang: str) -> list[str]:
    """Moses tokens of ``text`` with escaping off ('&' stays '&'), so every token is a substring of it."""
    return _moses(lang).tokenize(text, escape=False)


def word_char_spans(text: str, unit: str, lang: str) -> list[Span]:
    """Character spans [start, end) in ``text`` of its words, in order (``translator.alignment.words.word_spans``, by
    contrast, groups a sentence's pieces)."""
    if unit == "whitespace":
        return [match.span() for match in _WHITESPACE_WORD.finditer(text)]
    spans, position = [], 0
    for token in moses_tokens(text, lang):
        start = text.find(token, position)
        if start < 0:
            raise WordSplitError(f"Moses token {token!r} is not in {text!r}")
        position = start + len(token)
        spans.append((start, position))
    return spans


def aligner_words(text: str, unit: str, lang: str) -> str:
    """The words of ``text`` joined by single spaces, as the aligner sees them (``moses``: lowercased)."""
    if unit == "whitespace":
        return " ".join(text.split())
    return " ".join(token.lower() for token in moses_tokens(text, lang))


def pieces_of_words(words: Sequence[Span], pieces: Sequence[Span]) -> list[list[int]]:
    """For every word span, the indices of the pieces whose span overlaps it; a piece with an empty span (a
    lone "▁" that SentencePiece puts before some words) belongs with the piece after it."""
    owners: list[list[int]] = [[] for _ in pieces]  # the words of every piece
    for p in range(len(pieces) - 1, -1, -1):
        ps, pe = pieces[p]
        if ps < pe:
            owners[p] = [w for w, (ws, we) in enumerate(words) if ps < we and ws < pe]
        elif p + 1 < len(pieces):
            owners[p] = owners[p + 1]
    found: list[list[int]] = [[] for _ in words]
    for p, owned in enumerate(owners):
        for w in owned:
            found[w].append(p)
    return found


@dataclass(frozen=True)
class Words:
    """A word unit and the two languages of a pair (Moses rules depend on the language)."""

    unit: str = "whitespace"
    src_lang: str = "en"
    tgt_lang: str = "en"

    def __post_init__(self) -> None:
        if self.unit not in WORD_UNITS:
            raise ValueError(f"word unit must be one of {', '.join(WORD_UNITS)}, not {self.unit!r}")

    def spans(self, text: str, target: bool) -> list[Span]:
        """Character spans of the source (or ``target``) text's words."""
        return word_char_spans(text, self.unit, self.tgt_lang if target else self.src_lang)

    def for_aligner(self, text: str, target: bool) -> str:
        """The source (or ``target``) text's words as the aligner sees them."""
        return aligner_words(text, self.unit, self.tgt_lang if target else self.src_lang)


WHITESPACE = Words()
