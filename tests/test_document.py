"""Paragraphs: sentence splitting and reassembly cover every character and keep line breaks; word offsets
point at the words they name; the whole-text alignment stays a valid alignment; n-best and confidence."""

from __future__ import annotations

import math

import pytest
from tiny_package import build_tiny_package

from translator.document import document_json, document_links, document_rows, plan, translate_documents
from translator.segment import reassemble, sentence_spans
from translator.translate import Translator

PARAGRAPH = "Ein Mann fährt Fahrrad.  Zwei Hunde spielen im Schnee!\n\n  Kinder spielen auf der Straße. Ja?\n"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory) -> Translator:
    root = tmp_path_factory.mktemp("doc-model")
    return Translator.load(build_tiny_package(root / "package", root / "spm"))


def gaps(text: str, spans: list[tuple[int, int]]) -> list[str]:
    edges = [0, *[i for span in spans for i in span], len(text)]
    return [text[edges[i] : edges[i + 1]] for i in range(0, len(edges), 2)]


def test_sentences_and_gaps_cover_every_character_and_keep_line_breaks():
    spans = sentence_spans(PARAGRAPH, "de")
    assert [PARAGRAPH[a:b] for a, b in spans] == [
        "Ein Mann fährt Fahrrad.",
        "Zwei Hunde spielen im Schnee!",
        "Kinder spielen auf der Straße.",
        "Ja?",
    ]
    assert gaps(PARAGRAPH, spans) == ["", "  ", "\n\n  ", " ", "\n"]
    assert "".join(g + PARAGRAPH[a:b] for g, (a, b) in zip(gaps(PARAGRAPH, spans), spans)) + "\n" == PARAGRAPH


def test_abbreviations_do_not_end_a_sentence():
    assert len(sentence_spans("Das ist z.B. gut. Dr. Müller kommt.", "de")) == 2


def test_reassembly_with_identity_translations_gives_the_text_back():
    spans = sentence_spans(PARAGRAPH, "de")
    text, out_spans = reassemble(PARAGRAPH, spans, [PARAGRAPH[a:b] for a, b in spans])
    assert text == PARAGRAPH and out_spans == spans


def test_reassembly_puts_each_translation_at_its_span():
    spans = sentence_spans(PARAGRAPH, "de")
    text, out_spans = reassemble(PARAGRAPH, spans, ["A.", "Bb!", "Ccc.", "D?"])
    assert text == "A.  Bb!\n\n  Ccc. D?\n"
    assert [text[a:b] for a, b in out_spans] == ["A.", "Bb!", "Ccc.", "D?"]


def test_blank_and_unsplit_texts():
    assert sentence_spans("  \n \n", "de") == []
    assert reassemble("  \n", [], []) == ("", [])
    assert sentence_spans(" Eins. Zwei. ", "de", split=False) == [(1, 12)]
    assert sentence_spans(" Eins. Zwei.\n\n Drei \n", "de", split=False, lines=True) == [(1, 12), (15, 19)]


def test_one_batch_for_all_sentences_of_all_texts():
    doc_plan = plan(["Eins. Zwei.", "", "Drei"], "de")
    assert doc_plan.sentences == ["Eins.", "Zwei.", "Drei"]
    assert [len(s) for s in doc_plan.spans] == [2, 0, 1]


def test_word_offsets_point_at_the_words_they_name(tiny):
    doc = translate_documents(tiny, [PARAGRAPH], beam_size=2)[0]
    assert len(doc.sentences) == 4
    for sentence in doc.sentences:
        a, b = sentence.target_span
        assert doc.text[a:b] == sentence.translation.text
        for word in sentence.source_words:
            assert PARAGRAPH[word.start : word.end] == word.text
            assert sentence.source_span[0] <= word.start <= word.end <= sentence.source_span[1]
        assert [w.text for w in sentence.source_words] == PARAGRAPH[slice(*sentence.source_span)].split()
        for word in sentence.target_words:
            assert doc.text[word.start : word.end] == word.text
            assert a <= word.start <= word.end <= b
    assert doc.text.endswith("\n") and "\n\n  " in doc.text


def test_one_sentence_text_answers_as_before(tiny):
    """A one-sentence text: the whole-text fields equal the sentence translation of Translator.translate."""
    text = "Zwei Hunde spielen im Schnee."
    expected = tiny.translate([text], beam_size=3)[0]
    item = document_json(translate_documents(tiny, [text], beam_size=3)[0])
    assert item["translation"] == expected.text
    assert item["source_tokens"] == expected.source_tokens and item["target_tokens"] == expected.target_tokens
    assert item["alignment"] == expected.alignment and item["score"] == expected.score


def test_whole_text_alignment_is_block_diagonal(tiny):
    item = document_json(translate_documents(tiny, [PARAGRAPH], beam_size=1)[0])
    assert len(item["alignment"]) == len(item["target_tokens"])
    assert all(len(row) == len(item["source_tokens"]) for row in item["alignment"])
    assert all(sum(row) == pytest.approx(1.0, abs=1e-4) for row in item["alignment"])
    first = item["sentences"][0]
    n_src, n_tgt = len(first["source_tokens"]), len(first["target_tokens"])
    assert all(sum(row[n_src:]) == 0.0 for row in item["alignment"][:n_tgt])
    assert item["score"] == pytest.approx(sum(s["score"] for s in item["sentences"]) / 4)


def test_whole_text_matrices_are_left_out_past_the_cell_limit(tiny):
    document = translate_documents(tiny, [PARAGRAPH], beam_size=1)[0]
    full = document_json(document, word_alignment=True)
    cells = len(full["source_tokens"]) * len(full["target_tokens"])
    at_limit = document_json(document, word_alignment=True, max_whole_cells=cells)
    assert at_limit["whole_alignment"] is True and at_limit["alignment"] == full["alignment"]
    past = document_json(document, word_alignment=True, max_whole_cells=cells - 1)
    assert past["whole_alignment"] is False and "alignment" not in past and "word_alignment" not in past
    assert past["sentences"] == full["sentences"]  # every sentence keeps its own matrices
    assert past["translation"] == full["translation"] and past["target_tokens"] == full["target_tokens"]


def test_a_one_sentence_text_keeps_its_matrix_under_any_cell_limit(tiny):
    item = document_json(translate_documents(tiny, ["Zwei Hunde spielen im Schnee."], beam_size=1)[0], True, True, 1)
    assert "whole_alignment" not in item and item["alignment"] and item["word_alignment"]


def test_confidence_is_the_geometric_mean_of_piece_probabilities(tiny):
    item = tiny.translate(["Ein Junge springt ins Wasser."], beam_size=2)[0]
    assert len(item.token_logprobs) == len(item.target_tokens)
    log_probs = [*item.token_logprobs, item.eos_logprob]
    assert item.confidence == pytest.approx(math.exp(sum(log_probs) / len(log_probs)))
    assert 0.0 < item.confidence <= 1.0


def test_n_best_sorted_first_equal_to_the_one_best(tiny):
    text = "Eine Frau in einem roten Kleid liest ein Buch."
    best = tiny.translate([text], beam_size=4)[0]
    listed = tiny.translate([text], beam_size=4, n_best=4)[0]
    assert len(listed.alternatives) == 4
    assert listed.alternatives[0].text == best.text and listed.alternatives[0].score == best.score
    scores = [alt.score for alt in listed.alternatives]
    assert scores == sorted(scores, reverse=True)
    with pytest.raises(ValueError, match="n_best"):
        tiny.translate([text], beam_size=2, n_best=3)
    sentence = document_json(translate_documents(tiny, [text], beam_size=4, n_best=3)[0])["sentences"][0]
    assert [alt["translation"] for alt in sentence["n_best"]][0] == best.text and len(sentence["n_best"]) == 3


def test_every_target_word_has_the_row_its_links_were_read_from(tiny):
    document = translate_documents(tiny, [PARAGRAPH], beam_size=1)[0]
    source_words, target_words, links = document_links(document, "argmax")
    rows = document_rows(document)
    assert len(rows) == len(target_words) and len(document.sentences) > 1
    for i, j in links:  # argmax: each target word's link is its row's largest weight, at the same source word
        row = rows[j]
        assert row.first <= i < row.first + len(row.weights)
        assert row.weights[i - row.first] == max(row.weights)
