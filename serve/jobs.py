"""What the micro-batcher (``serve.batcher``) queues and reports: a request's job, the kind of jobs decoded
together, the counters and monitor it reports to, and the errors a submitter gets."""

from __future__ import annotations

import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Protocol

from translator.constrained import Constraints

Kind = tuple[int, int, bool]  # what jobs decoded together share: beam size, n-best size, constrained or not


class Monitor(Protocol):
    """Receives the size of every decode call and the number of sentences waiting (``serve.metrics``)."""

    def decoded(self, sentences: int) -> None: ...

    def waiting(self, sentences: int) -> None: ...


class QueueFullError(RuntimeError):
    """Too many sentences are already waiting; the caller should retry later."""


class BatcherClosedError(RuntimeError):
    """The batcher has been stopped."""


@dataclass
class Job:
    """One request: its texts, beam size and n-best size, the future for its results and when it arrived."""

    texts: list[str]
    beam_size: int
    n_best: int = 1
    cost: float = 0.0
    constraints: list[Constraints] | None = None  # per text: target terms' pieces (constrained decoding)
    future: Future = field(default_factory=Future)
    arrived: float = field(default_factory=time.monotonic)


@dataclass
class BatchStats:
    """Counters for monitoring: groups decoded, sentences decoded, the largest group seen."""

    batches: int = 0
    sentences: int = 0
    largest: int = 0


def kind_of(job: Job) -> Kind:
    """What jobs must share to be decoded in one call: beam size, n-best size, and constrained or not."""
    return job.beam_size, job.n_best, job.constraints is not None
