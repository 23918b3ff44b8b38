"""Glossaries: entries checked, terms found case-insensitively on whole words (longest first, left to right),
and the required terms put in place of the words the alignment links to them."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from tiny_package import build_tiny_package

from translator.glossary import (
    Glossary,
    GlossaryError,
    choose_edits,
    find_terms,
    read_glossary_file,
    replace_terms,
    shifted,
    term_constraints,
)
from translator.tokenizer import Tokenizer


def _words(text: str) -> list[tuple[int, int]]:
    return [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        ([("Hund", "dog"), ("hund", "dog")], "duplicates"),
        ([("Hund", "dog"), ("HUND", "hound")], "conflicts with"),
        ([("", "dog")], "entry 1"),
        ([("Hund", "  ")], "entry 1"),
    ],
)
def test_bad_entries_are_refused_by_number(entries, message) -> None:  # noqa: ANN001
    with pytest.raises(GlossaryError, match=message):
        Glossary(entries)


def test_terms_match_whole_words_case_insensitively_longest_first() -> None:
    glossary = Glossary([("New", "neu"), ("New York", "NYC"), ("Hund", "hound"), ("york city", "YC")])
    text = "New York City has a HUND, two Hunde and new ideas."
    found = [(text[m.span[0] : m.span[1]], m.entry.target) for m in find_terms(text, glossary)]
    assert found == [("New York", "NYC"), ("HUND", "hound"), ("new", "neu")]  # not "Hunde", not "York City"


def test_the_linked_words_are_replaced_by_the_term() -> None:
    glossary = Glossary([("Hund", "hound"), ("rote Ball", "crimson ball")])
    source, target = "Ein Hund jagt den rote Ball .", "A dog chases the red ball ."
    links = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)]
    out, applied = replace_terms(target, find_terms(source, glossary), _words(source), _words(target), links)
    assert out == "A hound chases the crimson ball ."
    assert [out[a.target_span[0] : a.target_span[1]] for a in applied] == ["hound", "crimson ball"]


def test_words_split_in_the_translation_keep_the_term_once() -> None:
    glossary = Glossary([("schnell laufen", "sprint")])
    source, target = "sie schnell laufen", "they run very fast"
    links = [(0, 0), (1, 3), (2, 1)]
    out, applied = replace_terms(target, find_terms(source, glossary), _words(source), _words(target), links)
    assert out == "they sprint very"
    assert [out[a.target_span[0] : a.target_span[1]] for a in applied] == ["sprint"]


def test_a_term_without_linked_words_follows_the_word_before_it() -> None:
    glossary = Glossary([("Dackel", "dachshund")])
    source, target = "ein Dackel bellt", "a barks"
    out, applied = replace_terms(target, find_terms(source, glossary), _words(source), _words(target), [(0, 0), (2, 1)])
    assert out == "a dachshund barks"
    assert out[applied[0].target_span[0] : applied[0].target_span[1]] == "dachshund"


def test_a_term_without_words_is_accepted_and_never_matches() -> None:
    glossary = Glossary([("!!", "?"), ("--", "x"), ("Hund", "dog")])
    assert len(glossary) == 1 and [m.entry.target for m in find_terms("!! Hund --", glossary)] == ["dog"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "not found"),
        (b"Hund\tdog\n\xff\n", "not UTF-8"),
        (b"Hund\tdog\textra\n", "line 1: expected source<TAB>target, found 3 columns"),
        (b"Hund\tdog\nhund\thound\n", "line 2"),
    ],
)
def test_bad_glossary_files_name_the_file_and_line(tmp_path, content, message) -> None:  # noqa: ANN001
    path = tmp_path / "terms.tsv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(GlossaryError, match=message):
        read_glossary_file(path)


def test_a_glossary_file_reads_one_entry_a_line(tmp_path) -> None:  # noqa: ANN001
    path = tmp_path / "terms.tsv"
    path.write_text("Hund\tdog\nrote Ball\tred ball\n", encoding="utf-8")
    assert len(read_glossary_file(path)) == 2


def test_offsets_move_with_the_edits_and_inside_an_edit_snap_to_its_ends() -> None:
    glossary = Glossary([("gros", "énorme")])
    source, target = "un gros chien", "un gros chien"
    edits = choose_edits(find_terms(source, glossary), _words(source), _words(target), [(0, 0), (1, 1), (2, 2)])
    assert [edit for edit, _ in edits] == [(3, 7, "énorme")]
    assert [shifted(p, edits, False) for p in (0, 3, 5, 7, 8)] == [0, 3, 3, 9, 10]
    assert shifted(5, edits, True) == 9


def test_constraints_are_the_pieces_of_the_terms_found_and_leave_out_terms_the_vocabulary_cannot_spell(
    tmp_path: Path,
) -> None:
    tokenizer = Tokenizer.load(build_tiny_package(tmp_path / "package", tmp_path / "spm"))
    glossary = Glossary([("Hund", "dog"), ("Katze", "猫"), ("Vogel", "bird")])
    constraints = term_constraints("Ein Hund und eine Katze.", glossary, tokenizer)
    assert constraints == (tuple(tokenizer.encode_target("dog")),)  # 猫 is no piece of it; Vogel is not there
