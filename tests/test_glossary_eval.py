"""The terminology measurement: its metrics on cases whose answer is known, term pairs built from one-to-one
links only where the baseline misses them, and the whole measurement end to end on a tiny package (every
real term appears in the constrained output)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from tiny_package import build_tiny_package

from experiments.glossary_eval import main as glossary_eval
from experiments.glossary_terms import build_cases, candidates
from experiments.term_metrics import masked, term_edit_rate, term_found, window_overlap
from translator.glossary import Glossary


def test_term_found_is_whole_words_in_sequence_and_case_insensitive() -> None:
    assert term_found("A big Dog runs.", "dog") and term_found("the red car", "Red Car")
    assert not term_found("two dogs", "dog") and not term_found("car red", "red car")


def test_window_overlap_compares_two_words_either_side() -> None:
    reference = "a man walks his dog in the park"
    assert window_overlap("a man walks his dog in the park", reference, "dog") == 1.0
    assert window_overlap("someone walks his dog on a beach", reference, "dog") == pytest.approx(2 / 4)
    assert window_overlap("a man walks in the park", reference, "dog") == 0.0


def test_term_edit_rate_weighs_edits_of_term_words_double() -> None:
    assert term_edit_rate("a dog runs", "a dog runs", ["dog"]) == 0.0
    assert term_edit_rate("a cat runs", "a dog runs", ["dog"]) == pytest.approx(2 / 4)  # ref weight 1 + 2 + 1
    assert term_edit_rate("the dog runs", "a dog runs", ["dog"]) == pytest.approx(1 / 4)
    assert term_edit_rate("", "a dog", ["dog"]) == 1.0


def test_masking_removes_every_occurrence_of_the_terms() -> None:
    assert masked("The Dog and the dog-house, a dog.", ["dog"]) == "The and the -house, a ."
    assert masked("a red car", ["red car", "car"]) == "a"


def test_candidates_are_exclusive_one_to_one_links_of_long_different_words() -> None:
    source, reference = "Ein Hund läuft im Park.", "A dog runs in the park."
    src, tgt = ["ein", "hund", "läuft", "im", "park", "."], ["a", "dog", "runs", "in", "the", "park", "."]
    links = {(0, 0), (1, 1), (2, 2), (3, 3), (3, 4), (4, 5), (5, 6)}  # "im" links to two words; park = park
    found = candidates(source, reference, src, tgt, links)
    assert ("läuft", "runs") in found and all(s != "im" and s.casefold() != t.casefold() for s, t in found)
    assert ("Hund", "dog") not in found  # "dog" has 3 letters


def test_cases_keep_only_terms_the_baseline_misses_with_wrong_random_targets() -> None:
    sources, references = ["Ein Mann läuft.", "Eine Frau tanzt."], ["A man runs.", "A woman dances."]
    tokens = (["ein mann läuft .", "eine frau tanzt ."], ["a man runs .", "a woman dances ."])
    links = [{(1, 1), (2, 2)}, {(1, 1), (2, 2)}]
    cases = build_cases(sources, references, tokens, links, ["A man runs.", "A lady jumps."], 2, seed=0)
    assert [(c.line, c.terms) for c in cases] == [(1, (("Frau", "woman"), ("tanzt", "dances")))]
    assert all(r.casefold() != t.casefold() for (_, t), (_, r) in zip(cases[0].terms, cases[0].random_terms))


def test_a_source_word_twice_in_a_sentence_gives_one_term_so_the_glossary_is_valid() -> None:
    sources, references = (
        ["Black dog and black cat", "A woman dances"],
        ["Schwarzer Hund und schwarze Katze", "Eine Frau tanzt"],
    )
    tokens = (["black dog and black cat", "a woman dances"], ["schwarzer hund und schwarze katze", "eine frau tanzt"])
    links = [{(0, 0), (3, 3), (4, 4)}, {(1, 1), (2, 2)}]  # "black" linked to two different German words
    baseline = ["Ein Hund und eine Katze", "Eine Dame springt"]
    case = build_cases(sources, references, tokens, links, baseline, 3, seed=0)[0]
    assert case.terms == (("Black", "Schwarzer"),)  # the first of the two; "cat" has 3 letters
    assert len(Glossary(case.terms)) == 1  # neither duplicated nor conflicting


WORDS = [
    ("Frau", "woman"), ("Kinder", "children"), ("Straße", "street"), ("spielt", "plays"), ("läuft", "runs"),
    ("Wasser", "water"), ("Mädchen", "girl"), ("Fahrrad", "bicycle"), ("Hemd", "shirt"), ("Gruppe", "group"),
    ("Menschen", "people"), ("Strand", "beach"), ("sitzt", "sits"), ("steht", "stands"), ("Hunde", "dogs"),
]  # fmt: skip


def write_word_pairs(data: Path) -> Path:
    """Multi30k-like train and val files of word-for-word "translations" (which eflomal learns) in ``data``."""
    data.mkdir()
    rng = random.Random(0)
    for split, count in (("train", 300), ("val", 30)):
        rows = [rng.sample(WORDS, rng.randint(3, 6)) for _ in range(count)]
        for lang, side in (("de", 0), ("en", 1)):
            text = "".join(" ".join(pair[side] for pair in row) + " .\n" for row in rows)
            (data / f"{split}.{lang}").write_text(text, encoding="utf-8")
    return data


def test_the_measurement_runs_end_to_end_and_constraints_put_every_term_in(tmp_path: Path) -> None:
    package = build_tiny_package(tmp_path / "package", tmp_path / "spm")
    data = write_word_pairs(tmp_path / "data")
    results = tmp_path / "results.jsonl"
    code = glossary_eval(["--model", str(package), "--data-dir", str(data), "--work-dir", str(tmp_path / "work"),
                          "--results", str(results)])  # fmt: skip
    assert code == 0
    rows = {r["name"]: r for r in map(json.loads, results.read_text(encoding="utf-8").splitlines())}
    expected = {f"glossary {m} {c}" for m in ("replace", "constrain") for c in ("none", "real", "random")}
    assert set(rows) == expected | {"glossary two-term timing"}
    assert rows["glossary constrain real"]["term_accuracy"] == 100.0
    assert rows["glossary constrain random"]["term_accuracy"] == 100.0
    assert rows["glossary replace none"]["term_accuracy"] == rows["glossary constrain none"]["term_accuracy"] == 0.0
