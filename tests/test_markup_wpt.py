"""The tag-placement benchmark on gold alignments: spans nest and never cross, gold spans are set aside when
broken up, and a projection through the gold links themselves onto the same words is exact."""

from __future__ import annotations

import random

from experiments.markup_wpt import (
    break_counts,
    gold_span,
    main,
    mean_row,
    proportional_links,
    score,
    tag_spans,
    tagged_source,
)
from translator.alignment.links import GoldLinks
from translator.markup import extract_html


def test_random_spans_nest_or_stay_apart() -> None:
    rng = random.Random(3)
    for n in range(1, 40):
        spans = tag_spans(n, rng)
        assert all(0 <= a <= b < n and b - a <= 3 for a, b in spans)
        for a, b in spans:
            for c, d in spans:
                assert b < c or d < a or (a <= c and d <= b) or (c <= a and b <= d)


def test_tags_wrap_their_words() -> None:
    assert tagged_source(["a", "b", "c"], [(0, 1), (1, 1)]) == '<b id="0">a <i id="1">b</i></b> c'


def test_gold_spans_cover_sure_links_and_broken_ones_are_set_aside() -> None:
    gold = GoldLinks(sure=frozenset({(0, 0), (1, 2), (2, 1), (3, 4)}), possible=frozenset())
    assert gold_span((0, 0), gold) == (0, 0)
    assert gold_span((1, 2), gold) == (1, 2)
    assert gold_span((2, 3), gold) is None  # French words 1 and 4: broken up
    assert proportional_links(4, 2) == {(0, 0), (1, 0), (2, 1), (3, 1)}


def test_projecting_through_the_gold_onto_the_same_words_is_exact() -> None:
    pairs = [("a b c d e f g", "a b c d e f g"), ("x y z w v u t s", "x y z w v u t s")] * 8
    gold = [GoldLinks(sure=frozenset((i, i) for i in range(len(p[0].split()))), possible=frozenset()) for p in pairs]
    row = score(pairs, gold, [(set(g.sure), None) for g in gold], seed=5)
    assert row["tags"] > 0 and row["exact"] == row["f1"] == row["kept"] == row["well_formed"] == 1.0
    assert row["breaks"] > 0 and row["breaks_right"] == 1.0


def test_several_seeds_are_averaged_key_by_key_and_no_seed_is_refused(capsys) -> None:  # noqa: ANN001
    assert mean_row([{"exact": 0.5, "tags": 10}, {"exact": 1.0, "tags": 13}]) == {"exact": 0.75, "tags": 11.5}
    assert main(["--seeds", "0"]) == 2
    assert "--seeds" in capsys.readouterr().err


def test_a_break_is_right_after_the_last_french_word_of_the_word_before_it() -> None:
    gold = GoldLinks(sure=frozenset({(0, 0), (1, 2), (1, 3), (2, 1)}), possible=frozenset())  # word 1 -> 2, 3
    marked = extract_html("a b<br>c")
    assert break_counts("x y z<br> w", marked, gold) == {"breaks": 1, "breaks_right": 0}
    assert break_counts("x y z w<br>", marked, gold) == {"breaks": 1, "breaks_right": 1}
    unlinked = GoldLinks(sure=frozenset({(0, 0)}), possible=frozenset())
    assert break_counts("x y z w<br>", marked, unlinked) == {"breaks": 0}  # set aside
    assert break_counts("x y", extract_html("a b c"), gold) == {}
