"""Terminology metrics in the manner of the WMT 2021 terminology task (Alam et al. 2021), on word lists.

Words are compared case-insensitively. A term is one or more words.

- ``term_found``: exact match, the term's words appear in sequence in the output.
- ``window_overlap``: for a term found in both the output and the reference, the share of the reference's
  words within ``window`` words either side of it that are also within that window in the output (0 when the
  output lacks the term).
- ``term_edit_rate`` (TERm): word edits from the output to the reference, an edit that touches a term word
  costing ``term_weight`` (2) instead of 1, over the reference's weighted length. This is a word-level edit
  distance without TER's block shifts, so it is at least TERm; 1 - it is reported.
- ``masked``: a sentence with every occurrence of the given terms removed, for BLEU and chrF that inserting
  the reference's own term words cannot raise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

WORD = re.compile(r"\w+(?:['’-]\w+)*")


def words(text: str) -> list[str]:
    """The case-folded words of ``text``."""
    return [w.casefold() for w in WORD.findall(text)]


def _find(sequence: Sequence[str], term: Sequence[str]) -> int:
    """Index of the first occurrence of ``term`` in ``sequence``, or -1."""
    n = len(term)
    return next((i for i in range(len(sequence) - n + 1) if list(sequence[i : i + n]) == list(term)), -1)


def term_found(output: str, term: str) -> bool:
    return _find(words(output), words(term)) >= 0


def window_overlap(output: str, reference: str, term: str, window: int = 2) -> float:
    """Share of the reference window's words (``window`` either side of the term) found in the output's window."""
    out, ref, key = words(output), words(reference), words(term)
    at_out, at_ref = _find(out, key), _find(ref, key)
    if at_ref < 0:
        raise ValueError(f"the reference lacks the term {term!r}")
    around_ref = ref[max(0, at_ref - window) : at_ref] + ref[at_ref + len(key) : at_ref + len(key) + window]
    if not around_ref:
        return 1.0 if at_out >= 0 else 0.0
    if at_out < 0:
        return 0.0
    around_out = out[max(0, at_out - window) : at_out] + out[at_out + len(key) : at_out + len(key) + window]
    pool = list(around_out)
    hits = 0
    for word in around_ref:
        if word in pool:
            pool.remove(word)
            hits += 1
    return hits / len(around_ref)


def _term_positions(sequence: Sequence[str], terms: Sequence[Sequence[str]]) -> set[int]:
    """Positions of ``sequence`` covered by an occurrence of any of ``terms``."""
    covered: set[int] = set()
    for term in terms:
        n = len(term)
        for i in range(len(sequence) - n + 1):
            if list(sequence[i : i + n]) == list(term):
                covered.update(range(i, i + n))
    return covered


def term_edit_rate(output: str, reference: str, terms: Sequence[str], term_weight: float = 2.0) -> float:
    """Weighted word edit distance from ``output`` to ``reference`` over the reference's weighted length."""
    out, ref = words(output), words(reference)
    keys = [words(t) for t in terms]
    out_cost = [term_weight if i in _term_positions(out, keys) else 1.0 for i in range(len(out))]
    ref_positions = _term_positions(ref, keys)
    ref_cost = [term_weight if j in ref_positions else 1.0 for j in range(len(ref))]
    previous = [0.0]
    for j in range(len(ref)):
        previous.append(previous[-1] + ref_cost[j])  # insert every reference word
    for i in range(len(out)):
        current = [previous[0] + out_cost[i]]
        for j in range(len(ref)):
            substitute = 0.0 if out[i] == ref[j] else max(out_cost[i], ref_cost[j])
            current.append(min(previous[j] + substitute, previous[j + 1] + out_cost[i], current[j] + ref_cost[j]))
        previous = current
    return previous[-1] / max(sum(ref_cost), 1.0)


def masked(text: str, terms: Sequence[str]) -> str:
    """``text`` without any occurrence of ``terms``' words (whole words, case-insensitive), spaces tidied."""
    for term in sorted(terms, key=len, reverse=True):
        pattern = r"\b" + r"\W+".join(re.escape(w) for w in WORD.findall(term)) + r"\b"
        text = re.sub(pattern, " ", text, flags=re.IGNORECASE)
    return " ".join(text.split())
