"""Batch samplers: token-bucketed training batches and length-sorted evaluation batches.

Both work on arrays of lengths alone (numpy, 4 bytes an example for the grouping), never on the examples, so
a corpus of millions of pairs is batched in bounded memory.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
from torch.utils.data import Sampler


class BucketBatchSampler(Sampler[list[int]]):
    """Token-bucketed batches of example positions, deterministic given (seed, epoch).

    Examples are grouped by cost length L (``lengths``: target pieces + EOS). Each group is cut into batches
    of ``min(max_sentences, batch_tokens // L)`` examples (at least 1), so no batch pads its target. Each
    epoch shuffles every group, orders it stably by source length (``src_lengths``, less source padding),
    cuts it, and shuffles the order of all batches. The number of batches depends only on the lengths, so
    it is the same every epoch: Lightning fixes the batches per epoch after the first one.

    Rank ``r`` of ``world_size`` takes batches ``r::world_size`` after the tail is dropped so that every
    rank gets the same number; with one rank every example is used once per epoch.

    ``weights`` (N,) (several corpora, ``data.train``): each epoch example i is drawn floor(w_i) times, and once
    more with probability w_i - floor(w_i), before the groups are cut. The number of batches is then fixed at
    what the weights give on average (each group's expected examples over its batch size, rounded up): an
    epoch that drew more batches drops some at random, one that drew fewer repeats some, so that every epoch
    has the same number of batches.
    """

    def __init__(
        self,
        lengths: Sequence[int] | np.ndarray,
        batch_tokens: int,
        max_sentences: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        src_lengths: Sequence[int] | np.ndarray | None = None,
        weights: Sequence[float] | np.ndarray | None = None,
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside [0, world_size={world_size})")
        if batch_tokens < 1 or max_sentences < 1 or len(lengths) == 0:
            raise ValueError("BucketBatchSampler needs examples, batch_tokens >= 1 and max_sentences >= 1")
        costs = np.asarray(lengths)
        if src_lengths is None:
            self.src_lengths = np.zeros(len(costs), dtype=np.uint16)
        else:
            self.src_lengths = np.asarray(src_lengths)
        counts = np.bincount(costs)  # examples per length (lengths are small non-negative integers)
        values = np.flatnonzero(counts)
        self.by_length = np.empty(len(costs), dtype=np.int32)  # (N,) positions grouped by cost, ascending
        starts = np.concatenate([[0], np.cumsum(counts[values])])
        for k, value in enumerate(values):  # a counting sort: no (N,) int64 temporaries
            self.by_length[starts[k] : starts[k + 1]] = np.flatnonzero(costs == value)
        sizes = np.clip(batch_tokens // values, 1, max_sentences)  # batch size of each length group
        self.groups = [(int(starts[k]), int(starts[k + 1]), int(sizes[k])) for k in range(len(values))]
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0
        self.skip = 0  # batches the next pass leaves out: a run resumed mid-epoch (training.resumable_loader)
        self.weights = None if weights is None else np.asarray(weights, dtype=np.float64)
        if self.weights is not None:
            if len(self.weights) != len(costs) or not (self.weights >= 0).all() or self.weights.sum() <= 0:
                raise ValueError("weights must be one non-negative number per example, not all zero")
            expected = [self.weights[self.by_length[a:b]].sum() for a, b, _ in self.groups]
            self.fixed = sum(int(np.ceil(e / size)) for e, (_, _, size) in zip(expected, self.groups) if e > 0)

    @property
    def sampler(self) -> BucketBatchSampler:
        """Lightning calls ``set_epoch`` on ``dataloader.batch_sampler.sampler``: that is this object."""
        return self

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose shuffle ``__iter__`` yields."""
        self.epoch = epoch

    def _epoch_order(self) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """(positions in this epoch's order, every rank's batches as (start, end) spans into it, in order)."""
        rng = np.random.default_rng([self.seed, self.epoch])
        if self.weights is not None:
            return self._weighted_order(rng, self.weights)
        order = self.by_length.copy()
        spans = []
        for start, end, size in self.groups:
            order[start:end] = self._shuffled(rng, order[start:end])
            spans += _cut(start, end - start, size)
        return order, [spans[i] for i in rng.permutation(len(spans))]

    def _shuffled(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        """The positions of one length group (n,), shuffled (in place), then ordered stably by source length."""
        rng.shuffle(group)
        return group[np.argsort(self.src_lengths[group], kind="stable")]

    def _weighted_order(
        self, rng: np.random.Generator, weights: np.ndarray
    ) -> tuple[np.ndarray, list[tuple[int, int]]]:
        """``_epoch_order`` with each example drawn as its weight (N,) says, cut into exactly ``self.fixed``
        batches."""
        draws = np.floor(weights).astype(np.int64)
        draws += rng.random(len(draws)) < weights - draws  # (N,) times each example is drawn this epoch
        parts, spans, at = [], [], 0
        for start, end, size in self.groups:
            members = self.by_length[start:end]
            group = self._shuffled(rng, np.repeat(members, draws[members]))  # (drawn,) positions of one length
            parts.append(group)
            spans += _cut(at, len(group), size)
            at += len(group)
        order = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        picked = rng.permutation(len(spans))[: self.fixed]  # too many: some dropped
        if len(picked) < self.fixed and spans:  # too few: some repeated
            picked = np.concatenate([picked, rng.choice(len(spans), self.fixed - len(picked))])
        return order, [spans[i] for i in picked]

    def _per_rank(self, total: int) -> int:
        per_rank = total // self.world_size
        if per_rank == 0:
            raise ValueError(f"only {total} training batches for {self.world_size} ranks; use more data")
        return per_rank

    def all_batches(self) -> list[list[int]]:
        """Every rank's batches of the current epoch, in order (before sharding)."""
        order, spans = self._epoch_order()
        return [order[s:e].tolist() for s, e in spans]

    def __iter__(self) -> Iterator[list[int]]:
        """This rank's batches of the current epoch, in order, less the first ``skip`` (then reset to 0)."""
        skip, self.skip = self.skip, 0
        order, spans = self._epoch_order()
        per_rank = self._per_rank(len(spans))
        for s, e in spans[: per_rank * self.world_size][self.rank :: self.world_size][skip:]:
            yield order[s:e].tolist()

    def __len__(self) -> int:
        if self.weights is not None:
            return self._per_rank(self.fixed)
        return self._per_rank(sum(-(-(end - start) // size) for start, end, size in self.groups))


def _cut(at: int, count: int, size: int) -> list[tuple[int, int]]:
    """(start, end) spans of batches of ``size`` over ``count`` positions that begin at ``at``."""
    return [(at + s, at + min(s + size, count)) for s in range(0, count, size)]


def sorted_batches(lengths: Sequence[int], batch_size: int, rank: int = 0, world_size: int = 1) -> list[list[int]]:
    """Positions sorted by length (stable), cut into batches of at most ``batch_size``; rank takes batches
    ``rank::world_size``. The number of batches is a multiple of ``world_size`` (sizes differ by at most one),
    so that every rank gets as many batches, none empty while there are at least as many examples as ranks."""
    order = np.argsort(np.asarray(lengths), kind="stable")
    count = -(-len(order) // batch_size)  # ceil
    count = world_size * -(-count // world_size)
    batches = [part.tolist() for part in np.array_split(order, count) if len(part)]
    return batches[rank::world_size]
