"""Word links, symmetrisation and AER on hand-made cases whose answers are known."""

from __future__ import annotations

import pytest

from translator.alignment.forced import EncodedSide, ForcedAlignment
from translator.alignment.links import (
    GoldLinks,
    LinkError,
    alignment_error_rate,
    argmax_links,
    check_range,
    extract,
    format_links,
    grow_diag_final,
    mean_matrix,
    mutual_links,
    parse_links,
    symmetrise,
    threshold_links,
)
from translator.alignment.words import merge_matrix


def gold(sure: set, possible: set = frozenset()) -> GoldLinks:
    return GoldLinks(frozenset(sure), frozenset(possible))


@pytest.mark.parametrize(
    ("predicted", "aer", "precision", "recall"),
    [
        ({(0, 0), (1, 1)}, 0.0, 1.0, 1.0),  # the sure link and the possible one: perfect
        ({(0, 0)}, 0.0, 1.0, 1.0),  # possible links are not needed
        ({(0, 1)}, 1.0, 0.0, 0.0),  # nothing right
        ({(0, 0), (2, 2)}, 1 - 2 / 3, 0.5, 1.0),  # (|A∩S| + |A∩P|) / (|A| + |S|) = (1 + 1) / (2 + 1)
        (set(), 1.0, 0.0, 0.0),
    ],
)
def test_aer_precision_recall_of_one_pair(predicted, aer, precision, recall):
    score = alignment_error_rate([gold({(0, 0)}, {(1, 1)})], [predicted])
    assert (score.aer, score.precision, score.recall) == pytest.approx((aer, precision, recall))


def test_aer_sums_counts_over_the_corpus():
    """Pair 1: A = S = {0-0, 1-1}. Pair 2: S = {0-0}, A = {0-1, 1-1, 2-2} all wrong. Corpus: |A| 5, |S| 3,
    |A∩S| = |A∩P| = 2, so AER = 1 - 4/8, precision 2/5, recall 2/3 (a mean of per-pair AERs would be 0.5 too,
    precision differs: the corpus sums decide)."""
    score = alignment_error_rate([gold({(0, 0), (1, 1)}), gold({(0, 0)})], [{(0, 0), (1, 1)}, {(0, 1), (1, 1), (2, 2)}])
    assert (score.aer, score.precision, score.recall) == pytest.approx((0.5, 0.4, 2 / 3))
    assert (score.predicted, score.sure, score.pairs) == (5, 3, 2)


def test_parse_links_sure_possible_and_one_indexed():
    links = parse_links("1-1 2p3 2-2 2p2", one_indexed=True)
    assert links.sure == {(0, 0), (1, 1)} and links.possible == {(1, 2)}  # a sure link is not also possible
    assert parse_links("0-0 3-1").sure == {(0, 0), (3, 1)}
    assert parse_links("") == gold(set())


@pytest.mark.parametrize(("line", "message"), [("1-", "malformed"), ("a-b", "malformed"), ("1x2", "malformed")])
def test_parse_links_errors(line, message):
    with pytest.raises(LinkError, match=message):
        parse_links(line)
    with pytest.raises(LinkError, match="index 0"):
        parse_links("0-1", one_indexed=True)


def test_links_out_of_range_are_errors():
    check_range(parse_links("0-0 1p2"), n_src=2, n_tgt=3)
    with pytest.raises(LinkError, match="out of range"):
        check_range(parse_links("2-0"), n_src=2, n_tgt=3)
    with pytest.raises(LinkError, match="out of range"):
        check_range(parse_links("0p3"), n_src=2, n_tgt=3)


def test_argmax_and_threshold_on_a_tiny_matrix():
    matrix = [[0.7, 0.2, 0.1], [0.1, 0.45, 0.45 + 1e-9], [0.5, 0.5, 0.0]]  # rows: target words
    assert argmax_links(matrix) == {(0, 0), (2, 1), (0, 2)}  # ties go to the first source word
    assert threshold_links(matrix, 0.4) == {(0, 0), (1, 1), (2, 1), (0, 2), (1, 2)}
    assert format_links({(2, 1), (0, 0), (1, 2)}) == "0-0 1-2 2-1"
    # mutual: target 2's argmax is source 0, but source 0's best target is 0 (0.7 > 0.5): 2 stays unlinked
    assert mutual_links(matrix) == {(0, 0), (2, 1)}
    assert extract(matrix, "mutual") == mutual_links(matrix) and mutual_links([]) == set()


def test_symmetrisation_of_two_directions():
    forward = {(0, 0), (1, 1), (2, 2), (0, 2), (3, 4)}
    backward = {(0, 0), (1, 1), (2, 2), (3, 3)}
    assert symmetrise(forward, backward, "intersection") == {(0, 0), (1, 1), (2, 2)}
    assert symmetrise(forward, backward, "union") == forward | backward
    # 0-2 is diagonal to 1-1 but both its words are aligned: left out; 3-3 (diagonal to 2-2, word 3 unaligned)
    # grows; 3-4 is then added by "final" (target word 4 is unaligned); nothing else is in the union
    assert grow_diag_final(forward, backward) == {(0, 0), (1, 1), (2, 2), (3, 3), (3, 4)}


def test_mean_of_two_directions_matrices():
    """forward: 2 target x 3 source words; backward: the reverse model's 3 source x 2 target words."""
    forward = [[0.6, 0.4, 0.0], [0.1, 0.1, 0.8]]
    backward = [[0.2, 0.8], [1.0, 0.0], [0.0, 1.0]]
    mean = mean_matrix(forward, backward)
    assert [w for row in mean for w in row] == pytest.approx([0.4, 0.7, 0.0, 0.45, 0.05, 0.9])
    # forward alone links target 0 to source 0; the reverse model moves its argmax to source 1
    assert argmax_links(forward) == {(0, 0), (2, 1)} and argmax_links(mean) == {(1, 0), (2, 1)}
    with pytest.raises(ValueError, match="not 3 x 2"):
        mean_matrix(forward, [[0.5, 0.5], [0.5, 0.5]])


def test_combined_links_by_mean_or_by_links():
    from translator.alignment.aligner import AlignMethod, combined_links

    def forced(words_src: list[str], words_tgt: list[str], rows: list[list[float]]) -> ForcedAlignment:
        def side(words: list[str]) -> EncodedSide:
            return EncodedSide(words, words, list(range(len(words))), [(k, k + 1) for k in range(len(words))])

        return ForcedAlignment(side(words_src), side(words_tgt), rows + [[1.0 / len(words_src)] * len(words_src)], [])

    forward = forced(["a", "b", "c"], ["x", "y"], [[0.6, 0.4, 0.0], [0.1, 0.1, 0.8]])
    backward = forced(["x", "y"], ["a", "b", "c"], [[0.2, 0.8], [1.0, 0.0], [0.0, 1.0]])
    assert combined_links(forward, backward, AlignMethod("argmax", symmetrise="mean")) == {(1, 0), (2, 1)}
    # by links: forward argmax {0-0, 2-1}, backward argmax (swapped) {1-0, 0-1, 2-1}: intersection {2-1}
    assert combined_links(forward, backward, AlignMethod("argmax", symmetrise="intersection")) == {(2, 1)}


def test_a_word_of_several_pieces_gets_one_link_set():
    """Source words: 'Fahr|rad' (pieces 0-1) and 'fährt' (piece 2); target words 'bi|cy|cle' and 'rides'."""
    pieces = [[0.5, 0.4, 0.1], [0.3, 0.6, 0.1], [0.2, 0.6, 0.2], [0.0, 0.1, 0.9]]  # 4 target x 3 source pieces
    words = merge_matrix(pieces, [(0, 2), (2, 3)], [(0, 3), (3, 4)])
    expected = [[(0.9 + 0.9 + 0.8) / 3, (0.1 + 0.1 + 0.2) / 3], [0.1, 0.9]]  # columns summed, rows averaged
    assert [w for row in words for w in row] == pytest.approx([w for row in expected for w in row])
    assert argmax_links(words) == {(0, 0), (1, 1)}


def test_shift_takes_the_row_of_the_next_step():
    side = EncodedSide(["a", "b"], ["▁a", "▁b"], [4, 5], [(0, 1), (1, 2)])
    attention = [[0.9, 0.1], [0.2, 0.8], [0.6, 0.4]]  # target pieces 0, 1, then EOS
    forced = ForcedAlignment(side, side, attention, [0.0, 0.0, 0.0])
    assert forced.word_matrix() == [[0.9, 0.1], [0.2, 0.8]]
    assert forced.word_matrix(shift=True) == [[0.2, 0.8], [0.6, 0.4]]
    assert argmax_links(forced.word_matrix(shift=True)) == {(1, 0), (0, 1)}


def test_heatmap_labels_are_literal_text():
    """'$' in a piece, word or title must not start matplotlib mathtext ('$$' used to raise, '$x^{2}$' was
    drawn as a superscript)."""
    import io

    from translator.heatmap import heatmap_figure, render_heatmap

    tokens = ["$$", "$x^{2}$", r"\alpha"]
    fig = heatmap_figure(tokens, tokens[:2], [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], title="$$ cost", unit="words")
    ax = fig.axes[0]
    labels = ax.get_xticklabels() + ax.get_yticklabels() + [ax.title]
    assert [t.get_text() for t in labels] == tokens + tokens[:2] + ["$$ cost"]
    assert not any(t.get_parse_math() for t in labels)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("source words", "target words")
    buffer = io.BytesIO()
    render_heatmap(tokens, tokens[:2], [[0.2, 0.3, 0.5], [1.0, 0.0, 0.0]], buffer, title="$$")
    assert buffer.getvalue().startswith(b"\x89PNG")


def test_piece_labels_show_no_raw_sentencepiece_markers():
    from translator.heatmap import heatmap_figure, piece_label

    assert [piece_label(p) for p in ["\u2581Fahr", "rad", "\u2581", "$"]] == ["Fahr", "\u00b7rad", "\u2423", "\u00b7$"]
    fig = heatmap_figure(["\u2581Fahr", "rad"], ["\u2581bike"], [[0.5, 0.5]])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()] == ["Fahr", "\u00b7rad", "bike"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("source pieces", "target pieces")
