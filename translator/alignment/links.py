"""Word links from soft alignment matrices, their symmetrisation, the Pharaoh format, and AER.

A link ``(i, j)`` joins source word i and target word j (0-indexed), written ``i-j`` in the Pharaoh
format of fast_align and eflomal (``ipj`` marks a *possible* link in gold files). A word-level matrix has
one row per target word and one column per source word (``translator.alignment.forced.ForcedAlignment``).

Extraction rules: ``argmax`` links every target word to its most attended source word; ``threshold``
links every pair whose weight is at least ``threshold``; ``mutual`` keeps the pairs that are the maximum of
both their row and their column (the "ArgMax" of SimAlign, Jalili Sabet et al. 2020: a target word and a
source word that pick each other, so words with no counterpart stay unlinked). Symmetrisation of two directions' links
(Koehn et al. 2003): ``intersection``, ``union`` and ``grow-diag-final``; or of their soft matrices before any
rule (``SOFT_SYMMETRISATIONS``): ``mean``, the element-wise mean of the two directions' word matrices.

AER (Och & Ney 2003), with A the predicted links, S the sure and P the sure-or-possible gold links, summed
over the corpus: AER = 1 - (|A∩S| + |A∩P|) / (|A| + |S|); precision = |A∩P| / |A|; recall = |A∩S| / |S|.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Link = tuple[int, int]  # (source word, target word)
RULES = ("argmax", "threshold", "mutual")
LINK_RULES = ("argmax", "mutual")  # the rules without a parameter: how translations read their word_links
DEFAULT_LINK_RULE = LINK_RULES[0]  # argmax: the word_links answers had before link_rule existed
SYMMETRISATIONS = ("intersection", "union", "grow-diag-final")  # of two directions' links
SOFT_SYMMETRISATIONS = ("mean",)  # of two directions' word matrices, before the extraction rule
NEIGHBOURS = ((-1, 0), (0, -1), (1, 0), (0, 1), (-1, -1), (-1, 1), (1, -1), (1, 1))
LINK = re.compile(r"^(\d+)([-p])(\d+)$")


class LinkError(ValueError):
    """A links line is malformed or names a word that does not exist."""


def argmax_links(matrix: Sequence[Sequence[float]]) -> set[Link]:
    """matrix (target words x source words) -> each target word linked to its highest-weight source word."""
    return {(max(range(len(row)), key=row.__getitem__), j) for j, row in enumerate(matrix) if len(row)}


def threshold_links(matrix: Sequence[Sequence[float]], threshold: float) -> set[Link]:
    """matrix (target words x source words) -> every pair with weight >= ``threshold``."""
    return {(i, j) for j, row in enumerate(matrix) for i, weight in enumerate(row) if weight >= threshold}


def mutual_links(matrix: Sequence[Sequence[float]]) -> set[Link]:
    """matrix (target words x source words) -> the pairs whose weight is the highest of its row and of its
    column (ties go to the first word, as in ``argmax_links``)."""
    columns = len(matrix[0]) if matrix else 0
    best_target = {i: max(range(len(matrix)), key=lambda j, i=i: matrix[j][i]) for i in range(columns)}
    return {(i, j) for i, j in argmax_links(matrix) if best_target[i] == j}


def extract(matrix: Sequence[Sequence[float]], rule: str, threshold: float = 0.5) -> set[Link]:
    """Links of one matrix by a named rule (``RULES``)."""
    if rule == "argmax":
        return argmax_links(matrix)
    if rule == "threshold":
        return threshold_links(matrix, threshold)
    if rule == "mutual":
        return mutual_links(matrix)
    raise ValueError(f"unknown extraction rule {rule!r}; known: {', '.join(RULES)}")


def mean_matrix(forward: Sequence[Sequence[float]], backward: Sequence[Sequence[float]]) -> list[list[float]]:
    """forward (target words x source words) and backward (source words x target words: the other direction's
    matrix of the same pair) -> their element-wise mean, target words x source words."""
    n_tgt, n_src = len(forward), len(forward[0]) if forward else 0
    if len(backward) != n_src or any(len(row) != n_tgt for row in backward):
        raise ValueError(f"the reverse matrix is not {n_src} x {n_tgt} (source words x target words)")
    return [[(forward[j][i] + backward[i][j]) / 2 for i in range(n_src)] for j in range(n_tgt)]


def grow_diag_final(forward: set[Link], backward: set[Link]) -> set[Link]:
    """Koehn's grow-diag-final: start from the intersection, add union links next to (or diagonal to) a
    link while one of their words is unaligned, then any union link whose source or target word is
    still unaligned."""
    union = forward | backward
    links = forward & backward

    def unaligned(i: int, j: int) -> bool:
        return all(a != i for a, _ in links) or all(b != j for _, b in links)

    grew = True
    while grew:
        grew = False
        for i, j in sorted(links):
            for di, dj in NEIGHBOURS:
                cand = (i + di, j + dj)
                if cand in union and cand not in links and unaligned(*cand):
                    links.add(cand)
                    grew = True
    for direction in (forward, backward):
        for cand in sorted(direction):
            if cand not in links and unaligned(*cand):
                links.add(cand)
    return links


def symmetrise(forward: set[Link], backward: set[Link], how: str) -> set[Link]:
    """Combine the links of two directions (both as (source, target) pairs) by a named method."""
    if how == "intersection":
        return forward & backward
    if how == "union":
        return forward | backward
    if how == "grow-diag-final":
        return grow_diag_final(forward, backward)
    raise ValueError(f"unknown symmetrisation {how!r}; known: {', '.join(SYMMETRISATIONS)}")


def format_links(links: Iterable[Link]) -> str:
    """Pharaoh format, sorted: ``0-0 1-2 ...``."""
    return " ".join(f"{i}-{j}" for i, j in sorted(links))


@dataclass(frozen=True)
class GoldLinks:
    """One sentence pair's gold links, 0-indexed: ``sure`` and ``possible`` (possible excludes sure)."""

    sure: frozenset[Link]
    possible: frozenset[Link]


def parse_links(line: str, one_indexed: bool = False, where: str = "") -> GoldLinks:
    """``i-j`` (sure) and ``ipj`` (possible) links separated by spaces -> 0-indexed GoldLinks."""
    sure, possible = set(), set()
    for token in line.split():
        match = LINK.match(token)
        if match is None:
            raise LinkError(f"{where}malformed link {token[:30]!r} (expected i-j or ipj)")
        i, j = int(match.group(1)) - one_indexed, int(match.group(3)) - one_indexed
        if i < 0 or j < 0:
            raise LinkError(f"{where}link {token!r} has index 0 in a 1-indexed file")
        (sure if match.group(2) == "-" else possible).add((i, j))
    return GoldLinks(frozenset(sure), frozenset(possible - sure))


def check_range(gold: GoldLinks, n_src: int, n_tgt: int, where: str = "") -> None:
    """Raise LinkError when a link names a word past the ends of the pair (n_src, n_tgt words)."""
    for i, j in sorted(gold.sure | gold.possible):
        if i >= n_src or j >= n_tgt:
            raise LinkError(f"{where}link {i}-{j} (0-indexed) is out of range: {n_src} source, {n_tgt} target words")


@dataclass(frozen=True)
class AerScore:
    """Corpus-level alignment error rate, precision and recall, with the counts behind them."""

    aer: float
    precision: float
    recall: float
    predicted: int
    sure: int
    pairs: int


def link_counts(gold: Sequence[GoldLinks], predicted: Sequence[Iterable[Link]]) -> list[tuple[int, int, int, int]]:
    """Per pair: |A|, |S|, |A & S|, |A & P| (P includes S), the terms AER sums over a corpus."""
    if len(gold) != len(predicted):
        raise LinkError(f"{len(gold)} gold lines but {len(predicted)} predicted lines")
    counts = []
    for g, p in zip(gold, predicted, strict=True):
        links = set(p)
        counts.append((len(links), len(g.sure), len(links & g.sure), len(links & (g.sure | g.possible))))
    return counts


def alignment_error_rate(gold: Sequence[GoldLinks], predicted: Sequence[Iterable[Link]]) -> AerScore:
    """AER over a corpus: the counts are summed over the pairs, then the ratios taken."""
    counts = link_counts(gold, predicted)
    a_total, s_total, a_and_s, a_and_p = (sum(column) for column in zip(*counts)) if counts else (0, 0, 0, 0)
    denominator = a_total + s_total
    return AerScore(
        aer=1.0 - (a_and_s + a_and_p) / denominator if denominator else 0.0,
        precision=a_and_p / a_total if a_total else 0.0,
        recall=a_and_s / s_total if s_total else 0.0,
        predicted=a_total,
        sure=s_total,
        pairs=len(gold),
    )
