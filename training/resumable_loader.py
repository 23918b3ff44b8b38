"""A training DataLoader that resumes in the middle of an epoch.

Lightning saves ``state_dict()`` of every training loader that has one into each checkpoint and gives it back
through ``load_state_dict`` before a resumed fit iterates. Without it, a run killed mid-epoch (``last.ckpt``
is written every ``checkpoint_every_n_steps``) started that epoch's batches again from the first and ended the
epoch after the number it still owed: the batches before the kill were read twice and as many at the end of
the epoch never. With it, the resumed pass starts at the first batch the killed run had not read, so a run
killed and resumed reads exactly the batches of one that never stopped (``tests/test_resumable_loader.py``).

The batch sampler's order is deterministic given (seed, epoch) (``BucketBatchSampler``), so the place in the
epoch is two integers: the epoch and how many of its batches this loader has handed out.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from torch.utils.data import DataLoader

from training.sampler import BucketBatchSampler


class ResumableLoader(DataLoader):
    """A DataLoader over a ``BucketBatchSampler`` whose place in the epoch Lightning checkpoints.

    ``position`` counts the batches the current pass has handed out (the training loop fetches a batch only
    when it is about to train on it: the loader has a length, so Lightning does not prefetch).
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not isinstance(self.batch_sampler, BucketBatchSampler):
            raise TypeError("ResumableLoader needs a BucketBatchSampler as its batch_sampler")
        self.position = 0
        self.resume_at: tuple[int, int] | None = None  # (epoch, batches read) from a checkpoint

    def state_dict(self) -> dict[str, int]:
        """Where the current pass is: its epoch and the batches handed out so far."""
        return {"epoch": self.batch_sampler.epoch, "batches": self.position}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Make the next pass over the saved epoch start after the batches the saved run had read."""
        self.resume_at = (int(state_dict["epoch"]), int(state_dict["batches"]))

    def __iter__(self) -> Iterator[Any]:
        return self._pass()

    def _pass(self) -> Iterator[Any]:
        """One epoch's batches. Runs lazily, at the first ``next``: Lightning creates the iterator of a
        resumed fit before it sets the sampler's epoch, and the skip must be decided for that epoch."""
        sampler = self.batch_sampler
        resume_at, self.resume_at = self.resume_at, None
        start = 0
        if resume_at is not None and resume_at[0] == sampler.epoch and resume_at[1] < len(sampler):
            start = resume_at[1]  # a checkpoint from the end of an epoch resumes at the next one: no skip
        sampler.skip = start
        self.position = start
        for batch in super().__iter__():
            self.position += 1
            yield batch
