"""The word units of guided-alignment links: whitespace words and Moses tokens as character spans, the pieces
of every word, and piece links over Moses tokens (punctuation is its own word)."""

from __future__ import annotations

import pytest

from training.config import Config
from training.guided import piece_links
from training.link_words import Words, aligner_words, pieces_of_words, word_char_spans
from translator.config import ConfigError, from_dict
from translator.tokenizer import Tokenizer


def test_word_spans_of_both_units():
    text = "Two young, White  males."
    assert word_char_spans(text, "whitespace", "en") == [(0, 3), (4, 10), (11, 16), (18, 24)]
    spans = word_char_spans(text, "moses", "en")
    assert [text[s:e] for s, e in spans] == ["Two", "young", ",", "White", "males", "."]
    assert spans == [(0, 3), (4, 9), (9, 10), (11, 16), (18, 23), (23, 24)]
    assert word_char_spans("l'homme", "moses", "fr") == [(0, 2), (2, 7)]  # French elision: "l'" is a word


def test_aligner_words_are_the_spans_texts():
    text = "Two young, White  males."
    assert aligner_words(text, "whitespace", "en") == "Two young, White males."
    assert aligner_words(text, "moses", "en") == "two young , white males ."


def test_pieces_of_words_by_overlap():
    words = [(0, 3), (4, 8), (8, 9)]
    pieces = [(0, 2), (2, 3), (3, 3), (4, 9), (9, 9)]  # (3, 3): a lone "▁" before (4, 9), which spans two words
    assert pieces_of_words(words, pieces) == [[0, 1], [2, 3], [2, 3]]  # a "▁" at the end belongs to no word


def test_moses_links_keep_punctuation_apart(trained_run):
    tok = Tokenizer.load(trained_run.package)
    source, target = "Ein Hund.", "A dog."
    src_pieces = tok.encode_source(source)[1]
    tgt_pieces = tok.target_pieces(tok.encode_target(target))
    moses = piece_links(tok, source, target, {(1, 1), (2, 2)}, Words("moses", "de", "en"))
    whitespace = piece_links(tok, source, target, {(1, 1)}, Words("whitespace", "de", "en"))
    dots = {(t, s) for t, s in moses if "." in tgt_pieces[t] and "." in src_pieces[s]}
    assert dots and all("." not in tgt_pieces[t] for t, _ in set(moses) - dots)  # dog <-> Hund without "."
    assert {(t, s) for t, s in moses if (t, s) not in dots} < set(whitespace)
    assert dots <= set(whitespace)  # "Hund." <-> "dog." took the dots along


def test_word_unit_is_checked():
    assert from_dict(Config, {"data": {"alignment_words": "moses"}}).data.alignment_words == "moses"
    with pytest.raises(ConfigError, match="alignment_words"):
        from_dict(Config, {"data": {"alignment_words": "spaces"}})
    with pytest.raises(ValueError, match="word unit"):
        Words("spaces")
