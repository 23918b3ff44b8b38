"""The paired AER bootstrap: counts that reproduce the corpus AER, and intervals whose answer is known by
construction (identical aligners, one aligner better on every sentence, a tie made of opposite sentences)."""

from __future__ import annotations

import pytest

from experiments.aer_bootstrap import corpus_aer, main, paired_difference, sentence_counts
from translator.alignment.links import GoldLinks, alignment_error_rate

GOLD = [
    GoldLinks(sure=frozenset({(0, 0), (1, 1)}), possible=frozenset({(1, 2)})),
    GoldLinks(sure=frozenset({(0, 1), (1, 0), (2, 2)}), possible=frozenset()),
    GoldLinks(sure=frozenset({(0, 0)}), possible=frozenset({(1, 1), (2, 1)})),
    GoldLinks(sure=frozenset({(0, 0), (1, 1), (2, 2)}), possible=frozenset({(2, 3)})),
]
PERFECT = [set(g.sure) for g in GOLD]
WRONG = [{(5, 5)} for _ in GOLD]  # links to no gold pair: AER 1 on every sentence


def test_summed_counts_give_the_corpus_aer_of_the_library() -> None:
    predicted = [{(0, 0), (1, 2)}, {(0, 1), (2, 0)}, {(2, 1)}, {(0, 0), (1, 1), (2, 3), (3, 3)}]
    counts = sentence_counts(GOLD, predicted)
    assert counts.shape == (4, 4)
    assert corpus_aer(counts) == pytest.approx(alignment_error_rate(GOLD, predicted).aer)


def test_identical_aligners_differ_by_zero_in_every_resample() -> None:
    d = paired_difference(GOLD, PERFECT, [PERFECT], samples=200)
    assert (d.ours, d.theirs, d.difference, d.low, d.high, d.share_better) == (0.0, 0.0, 0.0, 0.0, 0.0, 0.0)


def test_an_aligner_better_on_every_sentence_is_lower_in_every_resample() -> None:
    d = paired_difference(GOLD, PERFECT, [WRONG], samples=200)
    assert (d.ours, d.theirs, d.difference) == (0.0, 1.0, -1.0)
    assert d.high == pytest.approx(-1.0) and d.share_better == 1.0


def test_opposite_sentences_make_a_tie_whose_interval_spans_zero() -> None:
    gold = [GoldLinks(sure=frozenset({(0, 0)}), possible=frozenset())] * 20
    ours = [{(0, 0)}] * 10 + [{(1, 1)}] * 10  # right on the first half, wrong on the second
    theirs = [{(1, 1)}] * 10 + [{(0, 0)}] * 10  # the other way round
    d = paired_difference(gold, ours, [theirs], samples=2000)
    assert d.difference == 0.0
    assert d.low < 0.0 < d.high
    assert 0.2 < d.share_better < 0.8


def test_several_runs_are_compared_through_the_mean_of_their_aers() -> None:
    half = [set(g.sure) for g in GOLD[:2]] + WRONG[2:]
    d = paired_difference(GOLD, PERFECT, [WRONG, PERFECT, half], samples=100)
    expected = (1.0 + 0.0 + alignment_error_rate(GOLD, half).aer) / 3
    assert d.theirs == pytest.approx(expected)
    assert d.difference == pytest.approx(-expected)


def test_a_package_that_is_not_there_is_one_error_line_and_status_2(tmp_path, capsys) -> None:
    code = main(["--forward", str(tmp_path / "none"), "--backward", str(tmp_path / "none"), "--no-record"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1


def test_zero_runs_is_refused(tmp_path, capsys) -> None:
    code = main(["--forward", "x", "--backward", "y", "--eflomal-runs", "0", "--no-record"])
    assert code == 2 and "at least 1" in capsys.readouterr().err
