"""The live markup measurement: token spans, XML-BLEU on known cases, and the whole run on a tiny package
(stripped tagged outputs identical to untagged ones, every output well-formed with every tag)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from test_glossary_eval import write_word_pairs
from tiny_package import build_tiny_package

from experiments.markup_live import main as markup_live
from experiments.markup_live import structure, tagged_reference, token_spans, xml_bleu
from experiments.markup_wpt import well_formed, with_break


def test_token_spans_find_lowercased_tokens_in_the_raw_text() -> None:
    assert token_spans("Ein Hund, der läuft.", ["ein", "hund", ",", "der", "läuft", "."]) == [
        (0, 3), (4, 8), (8, 9), (10, 13), (14, 19), (19, 20)
    ]  # fmt: skip


def test_xml_bleu_counts_segments_only_where_the_structure_matches() -> None:
    ref = 'a big <b id="0">red dog</b> runs in the park today'
    assert xml_bleu([ref], [ref]) == pytest.approx(100.0)
    moved = 'a big red <b id="0">dog</b> runs in the park today'  # same tags, other words inside
    assert 0 < xml_bleu([moved], [ref]) < 100
    assert xml_bleu(["a big red dog runs in the park today"], [ref]) == 0.0  # a tag lost: nothing counts
    assert structure(ref) == (['<b id="0">', "</b>"], ["a big ", "red dog", " runs in the park today"])
    assert well_formed(ref) and not well_formed("<b>x<i>y</b></i>")


def test_a_break_replaces_a_space_between_words_and_is_projected_after_the_word_before_it() -> None:
    tagged = '<b id="0">ein Hund</b> läuft schnell'
    broken = {with_break(tagged, random.Random(seed)) for seed in range(20)}
    assert broken == {'<b id="0">ein<br>Hund</b> läuft schnell', '<b id="0">ein Hund</b><br>läuft schnell',
                      '<b id="0">ein Hund</b> läuft<br>schnell'}  # fmt: skip
    reference = tagged_reference(
        '<b id="0">ein Hund</b><br>läuft schnell', "a dog runs fast", ("ein hund läuft schnell", "a dog runs fast"),
        {(0, 0), (1, 1), (2, 2), (3, 3)},
    )  # fmt: skip
    assert reference == '<b id="0">a dog</b><br> runs fast'


def test_the_live_measurement_runs_end_to_end_with_one_and_both_directions(tmp_path: Path) -> None:
    package = build_tiny_package(tmp_path / "package", tmp_path / "spm")
    reverse = build_tiny_package(tmp_path / "reverse", tmp_path / "spm-reverse", pair=("en", "de"), seed=2)
    data = write_word_pairs(tmp_path / "data")
    results = tmp_path / "results.jsonl"
    args = ["--model", str(package), "--data-dir", str(data), "--work-dir", str(tmp_path / "work")]
    assert markup_live([*args, "--results", str(results), "--reverse", str(reverse), "--symmetrise", "union"]) == 0
    one, both = map(json.loads, results.read_text(encoding="utf-8").splitlines())
    assert one["name"] == "markup live mutual" and both["name"] == "markup live mutual + reverse union"
    for row in (one, both):
        assert row["identical"] == 1.0 and row["bleu_tagged_stripped"] == row["bleu_untagged"]  # <br>s kept inside
        assert row["structure_accuracy"] == 1.0 and row["tags"] > 0 and row["breaks"] > 0
    assert markup_live([*args, "--results", str(results), "--br-splits"]) == 0
    split = json.loads(results.read_text(encoding="utf-8").splitlines()[-1])
    assert split["name"] == "markup live mutual, every <br> splits" and split["structure_accuracy"] == 1.0
    assert split["identical"] >= 1 - split["breaks"] / split["sentences"]  # only a split changes the translation
