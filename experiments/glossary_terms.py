"""Term pairs for the glossary measurement, built from Multi30k val the WMT terminology way.

A val pair's candidate terms are the source and reference words that eflomal (run over Multi30k train plus
val, intersection of both directions) links one to one, exclusively: both words alphabetic, at least 4
letters, and different. A sentence keeps up to ``max_terms`` of its candidates whose target word the
baseline translation misses (the cases where a glossary has something to do). Each kept term also gets a
random term (WMT 2023's control): the target of another sentence's term, a plausible but wrong word.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from experiments.term_metrics import WORD, term_found
from translator.alignment.links import Link

MIN_LETTERS = 4


@dataclass(frozen=True)
class TermCase:
    """One val sentence with terms: its line, source, reference, real (source, target) terms and random ones."""

    line: int
    source: str
    reference: str
    terms: tuple[tuple[str, str], ...]
    random_terms: tuple[tuple[str, str], ...]


def _surface(token: str, raw: str) -> str | None:
    """The word ``token`` (lowercased) as written in ``raw``, or None when it is not one of its words (words as
    the metrics read them, ``experiments.term_metrics.WORD``: "fireman's" is one word, not "fireman")."""
    return next((m.group() for m in WORD.finditer(raw) if m.group().casefold() == token), None)


def candidates(source: str, reference: str, src_tokens: list[str], tgt_tokens: list[str], links: set[Link]):  # noqa: ANN201
    """(source word, target word) pairs linked one to one, as written in the raw sentences."""
    src_count = {i: sum(1 for a, _ in links if a == i) for i, _ in links}
    tgt_count = {j: sum(1 for _, b in links if b == j) for _, j in links}
    pairs = []
    for i, j in sorted(links):
        s, t = src_tokens[i], tgt_tokens[j]
        exclusive = src_count[i] == 1 and tgt_count[j] == 1
        if exclusive and s.isalpha() and t.isalpha() and min(len(s), len(t)) >= MIN_LETTERS and s != t:
            pair = (_surface(s, source), _surface(t, reference))
            if None not in pair:
                pairs.append(pair)
    return pairs


def _one_per_source(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first pair of each source word (case-insensitive): a word that occurs twice in a sentence and is
    linked to two target words would be a duplicated or conflicting glossary entry."""
    first: dict[str, tuple[str, str]] = {}
    for pair in pairs:
        first.setdefault(pair[0].casefold(), pair)
    return list(first.values())


def build_cases(
    sources: Sequence[str],
    references: Sequence[str],
    tokens: tuple[list[str], list[str]],
    links: Sequence[set[Link]],
    baseline: Sequence[str],
    max_terms: int,
    seed: int,
) -> list[TermCase]:
    """The val sentences with at least one term the baseline misses, with up to ``max_terms`` terms each (one
    per source word)."""
    kept: list[tuple[int, list[tuple[str, str]]]] = []
    for n, (source, reference, output) in enumerate(zip(sources, references, baseline, strict=True)):
        pairs = candidates(source, reference, tokens[0][n].split(), tokens[1][n].split(), links[n])
        missed = _one_per_source([p for p in pairs if not term_found(output, p[1])])[:max_terms]
        if missed:
            kept.append((n, missed))
    pool = sorted({t for _, terms in kept for _, t in terms})
    rng = random.Random(seed)
    cases = []
    for n, terms in kept:
        wrong = [(s, rng.choice([w for w in pool if w.casefold() != t.casefold()])) for s, t in terms]
        cases.append(TermCase(n, sources[n], references[n], tuple(terms), tuple(wrong)))
    return cases


def inflection_misses(cases: Sequence[TermCase], sources: Sequence[str]) -> tuple[int, int]:
    """How often whole-word matching matters: occurrences in ``sources`` of the cases' source terms as whole
    words (matched) and as longer words that start with them (inflected or compound forms, not matched)."""
    terms = {s.casefold() for case in cases for s, _ in case.terms}
    exact = longer = 0
    for line in sources:
        for word in re.findall(r"\w+", line.casefold()):
            exact += word in terms
            longer += word not in terms and any(word.startswith(t) for t in terms)
    return exact, longer
