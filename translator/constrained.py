"""Lexically constrained beam search: dynamic beam allocation (Post & Vilar 2018).

A sentence may carry constraints: piece-id sequences (the pieces of required target terms) that its
translation must contain. Each beam's ``Progress`` records which constraints it has produced and how far into
the one it is producing it is. At every step a sentence's candidates are the k best of all its k * V
extensions, plus every beam's best single extension and every extension that advances a beam's constraints.
The k slots are shared out among "banks" of candidates that have met the same number of constraint pieces,
from the most met down, one slot per bank in turn, each bank's best first; a bank with too few candidates
leaves its slots to the others. A beam with constraints unmet may not end (unless at its length limit), and
the final choice ranks beams that met all their constraints first. A sentence without constraints gets
exactly the unconstrained search's choice (one bank: the k best).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

Constraints = tuple[tuple[int, ...], ...]  # one sentence's required piece sequences


@dataclass(frozen=True)
class Progress:
    """How far one beam is through its sentence's constraints: which are produced, which one is being
    produced (its index, or -1) and how many of its pieces are out."""

    met: tuple[bool, ...]
    current: int = -1
    done: int = 0
    ended: bool = False  # the last piece completed a constraint: the next may not continue its word

    @classmethod
    def start(cls, constraints: Constraints) -> Progress:
        return cls((False,) * len(constraints))

    def count(self, constraints: Constraints) -> int:
        """Constraint pieces produced: those of the met constraints and of the one in progress."""
        return sum(len(c) for c, met in zip(constraints, self.met) if met) + self.done

    def complete(self) -> bool:
        return all(self.met)

    def wanted(self, constraints: Constraints) -> set[int]:
        """The pieces that would advance: the next of the constraint in progress, or the first of any unmet."""
        if self.current >= 0:
            return {constraints[self.current][self.done]}
        return {c[0] for c, met in zip(constraints, self.met) if not met}

    def advance(self, constraints: Constraints, piece: int) -> Progress:
        """The progress after ``piece``: a constraint in progress that is not continued is dropped (its pieces
        no longer count), and the piece may start an unmet constraint itself."""
        if self.current >= 0 and constraints[self.current][self.done] == piece:
            return self._step(constraints, self.current, self.done + 1)
        for index, (constraint, met) in enumerate(zip(constraints, self.met)):
            if not met and constraint[0] == piece:
                return self._step(constraints, index, 1)
        return Progress(self.met) if self.current >= 0 or self.ended else self

    def _step(self, constraints: Constraints, index: int, done: int) -> Progress:
        if done < len(constraints[index]):
            return Progress(self.met, index, done)
        met = tuple(m or i == index for i, m in enumerate(self.met))
        return Progress(met, ended=True)


def allocate(candidates: list[tuple[float, int, int]], counts: list[int], k: int) -> list[int]:
    """Dynamic beam allocation: indices of the ``k`` candidates kept. ``counts[i]`` is candidate i's bank
    (constraint pieces met); banks take one slot each in turn, the most met first, each its best first."""
    banks: dict[int, list[int]] = {}
    for i in sorted(range(len(candidates)), key=lambda i: -candidates[i][0]):
        banks.setdefault(counts[i], []).append(i)
    order = [banks[c] for c in sorted(banks, reverse=True)]
    kept: list[int] = []
    depth = 0
    while len(kept) < k and any(depth < len(bank) for bank in order):
        kept.extend(bank[depth] for bank in order if depth < len(bank))
        depth += 1
    return kept[:k]


@dataclass(frozen=True)
class Lexical:
    """A batch's constraints: one tuple of piece-id sequences per sentence (possibly empty), and which target
    pieces continue a word (V,) bool (a piece without the word-start mark that is a letter or digit), so that a
    term is never glued to a following piece ("dog" + "s")."""

    constraints: tuple[Constraints, ...]
    continues_word: Tensor


class ConstraintSearch:
    """The constraint side of one beam search call (created per call, so nothing outlives it): each active
    sentence's constraints and each active beam's progress, in the search's active order (n sentences of k
    beams, A = n * k)."""

    def __init__(self, lexical: Lexical, k: int) -> None:
        self.k = k
        self.constraints = list(lexical.constraints)
        self.continues_word = lexical.continues_word
        self.progress = [Progress.start(c) for c in self.constraints for _ in range(k)]

    def room(self, max_len: Tensor) -> Tensor:
        """The length limits (B,) with room for each sentence's required pieces on top."""
        return max_len + torch.tensor([sum(map(len, c)) for c in self.constraints], device=max_len.device)

    def block(self, logp: Tensor, must_end: Tensor, eos: int) -> None:
        """In place on logp (A, V): forbid EOS to every beam whose constraints are unmet, unless it must end,
        and a piece that continues a word to every beam that has just completed a constraint."""
        unmet = torch.tensor([not p.complete() for p in self.progress], device=logp.device)
        ended = torch.tensor([p.ended for p in self.progress], device=logp.device)
        logp.masked_fill_(ended.unsqueeze(1) & self.continues_word.to(logp.device).unsqueeze(0), float("-inf"))
        logp[:, eos].masked_fill_(unmet & ~must_end, float("-inf"))

    def complete(self, device: torch.device) -> Tensor:
        """(A,) whether each active beam has met all its constraints."""
        return torch.tensor([p.complete() for p in self.progress], dtype=torch.bool, device=device)

    def select(self, cand: Tensor, finished: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """The k new beams of every sentence from the extension scores cand (A, V) -> origin (A,) (active
        position of the beam extended), piece (A,) and score (A,); the beams' progress moves on with them."""
        k, (A, V) = self.k, cand.size()
        top_values, top = (t.tolist() for t in cand.view(A // k, k * V).topk(k, dim=1))  # (n, k) each
        best, done = cand.argmax(dim=1).tolist(), finished.tolist()  # (A,) each
        pairs: dict[int, list[tuple[int, int]]] = {}  # per constrained sentence: candidate (active row, piece)
        for s, constraints in enumerate(self.constraints):
            if constraints:
                rows = range(s * k, (s + 1) * k)
                wanted = {(r, p) for r in rows if not done[r] for p in self.progress[r].wanted(constraints)}
                found = {(s * k + f // V, f % V) for f in top[s]} | {(r, best[r]) for r in rows} | wanted
                pairs[s] = sorted(found)
        flat = [pair for sentence in pairs.values() for pair in sentence]
        values = cand[[r for r, _ in flat], [p for _, p in flat]].tolist() if flat else []  # one gather for all
        chosen: list[tuple[int, int, float, Progress]] = []  # (row extended, piece, score, progress after it)
        for s in range(len(self.constraints)):
            if s not in pairs:  # no constraints: the plain search's k best (their progress stays empty)
                rows = [s * k + f // V for f in top[s]]
                chosen.extend((r, f % V, v, self.progress[r]) for r, f, v in zip(rows, top[s], top_values[s]))
                continue
            scored, values = list(zip(values[: len(pairs[s])], pairs[s])), values[len(pairs[s]) :]
            chosen.extend(self._allocate(s, scored))
        self.progress = [progress for *_, progress in chosen]
        origin, pieces, scores, _ = zip(*chosen)
        device = cand.device
        return (torch.tensor(origin, device=device), torch.tensor(pieces, device=device),
                torch.tensor(scores, device=device, dtype=cand.dtype))  # fmt: skip

    def _allocate(self, s: int, scored: list[tuple[float, tuple[int, int]]]) -> list[tuple[int, int, float, Progress]]:
        """Sentence s's k (row, piece, score, progress after the piece), by dynamic beam allocation over its
        candidates (each candidate's progress is found once, for its bank and for the beam it becomes)."""
        constraints = self.constraints[s]
        live = [(v, r, p) for v, (r, p) in scored if v != float("-inf")]
        after = [self.progress[r].advance(constraints, p) for _, r, p in live]
        kept = sorted(allocate(live, [a.count(constraints) for a in after], self.k), key=lambda i: -live[i][0])
        chosen = [(live[i][1], live[i][2], live[i][0], after[i]) for i in kept]
        while len(chosen) < self.k:  # fewer live paths than beams (the first steps): dead copies, as plain search has
            row, piece = s * self.k, scored[0][1][1]
            chosen.append((row, piece, float("-inf"), self.progress[row].advance(constraints, piece)))
        return chosen

    def keep(self, sentences: list[int]) -> None:
        """Only these active sentences go on decoding (their beams keep their progress)."""
        k = self.k
        self.constraints = [self.constraints[s] for s in sentences]
        self.progress = [self.progress[s * k + b] for s in sentences for b in range(k)]
