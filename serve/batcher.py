"""A thread-safe micro-batcher: concurrent requests are decoded together in one ``translate`` call.

Request threads call :meth:`MicroBatcher.submit` and get a :class:`~concurrent.futures.Future`. One
worker thread takes the oldest pending request and translates it together with the other pending
requests of the same beam size (up to ``max_batch_size`` sentences) in a single call.

How long a group waits for companions adapts to the load: the batcher tracks the peak number of
sentences in the system (waiting or being decoded) over the last few decode cycles and waits, at
most ``max_wait_ms`` from the oldest request's arrival (or from the end of the previous decode, if
later), only until that many are pending. A lone
client thus never waits, while under steady load from N clients the N requests that come back
after a batch are gathered into one group instead of being split.

With a shared :class:`~serve.gate.DecodeGate`, the batcher takes its group only once it holds one of the
gate's slots, so the batchers of several packages never decode more groups at once than there are slots,
and what arrives while a batcher waits for its slot joins its group.

If a batched call fails, the group's requests are retried one by one so that an error reaches only
the request that caused it. The translator is only read, never changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any

from serve.gate import DecodeGate
from serve.jobs import BatcherClosedError, BatchStats, Job, Kind, Monitor, QueueFullError, kind_of
from translator.constrained import Constraints

log = logging.getLogger(__name__)

TranslateFn = Callable[..., list[Any]]


class MicroBatcher:
    """Groups concurrent translation requests into batched calls of ``translate(texts, beam_size=...)``."""

    def __init__(
        self,
        translate: TranslateFn,
        max_batch_size: int = 32,
        max_wait_ms: float = 20.0,
        max_queue: int = 2048,
        max_cost: float = float("inf"),
        max_group_cost: float = float("inf"),
        after_decode: Callable[[], None] | None = None,
        name: str = "micro-batcher",
        monitor: Monitor | None = None,
        gate: DecodeGate | None = None,
    ) -> None:
        if max_batch_size < 1 or max_wait_ms < 0 or max_queue < 1 or max_cost <= 0:
            raise ValueError("max_batch_size >= 1, max_wait_ms >= 0, max_queue >= 1 and max_cost > 0 are required")
        self._translate = translate
        self.max_batch_size = max_batch_size
        self.max_wait = max_wait_ms / 1000.0
        self.max_queue = max_queue
        self.max_cost = max_cost  # bound on the cost of the work submitted and not yet answered
        self.max_group_cost = max_group_cost  # bound on the cost of one decode call (at least one job)
        self._after_decode = after_decode  # e.g. hand freed memory back to the system
        self._monitor = monitor
        self.gate = gate or DecodeGate(1)  # shared: decode slots of the worker; own: no limit beyond this thread
        self.stats = BatchStats()
        self._pending: deque[Job] = deque()
        self._queued = 0  # sentences in _pending
        self._active = 0  # sentences submitted and not yet answered
        self._active_cost = 0.0  # their cost
        self._peak = 0  # recent peak of _active ...
        self._peak_at = 0.0  # ... last reached at this time
        self._cycle = 0.0  # seconds the last translate call took
        self._free_since = 0.0  # when the last translate call ended
        self._cond = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    @property
    def alive(self) -> bool:
        """True while the worker thread runs and the batcher accepts work."""
        return self._thread.is_alive() and not self._closed

    @property
    def in_flight(self) -> tuple[int, float]:
        """(sentences, cost) submitted and not yet answered."""
        with self._cond:
            return self._active, self._active_cost

    def wait_for_queued(self, sentences: int, timeout: float) -> bool:
        """Block until at least ``sentences`` wait in the queue (False after ``timeout`` seconds); for tests."""
        with self._cond:
            return self._cond.wait_for(lambda: self._queued >= sentences, timeout)

    def submit(self, texts: Sequence[str], beam_size: int, cost: float | None = None, n_best: int = 1) -> Future:
        """Queue ``texts`` (``cost``: of decoding them, default one per text); the future resolves to their
        translations in order (or to the error). QueueFullError as for ``submit_many``."""
        return self.submit_many([list(texts)], beam_size, [float(len(texts) if cost is None else cost)], n_best)[0]

    def submit_many(
        self,
        chunks: Sequence[Sequence[str]],
        beam_size: int,
        costs: Sequence[float],
        n_best: int = 1,
        constraints: Sequence[list[Constraints]] | None = None,
    ) -> list[Future]:
        """Queue the chunks of one request together (admitted or refused as a whole): one future per chunk.
        QueueFullError when the sentences waiting or the cost of the work in flight would pass the bounds
        (a request is never refused for its cost alone while nothing else is in flight). Only jobs of the
        same beam and n-best size (and ``constraints``, per chunk per text, or none) are decoded together."""
        per_chunk = constraints if constraints is not None else [None] * len(chunks)
        jobs = [
            Job(list(texts), beam_size, n_best, float(cost), terms)
            for texts, cost, terms in zip(chunks, costs, per_chunk, strict=True)
        ]
        sentences, total = sum(len(job.texts) for job in jobs), sum(job.cost for job in jobs)
        with self._cond:
            if self._closed:
                raise BatcherClosedError("the translation service is shutting down")
            if self._queued + sentences > self.max_queue:
                raise QueueFullError(f"server busy: more than {self.max_queue} sentences waiting")
            if self._active_cost > 0 and self._active_cost + total > self.max_cost:
                raise QueueFullError("server busy: too much work in flight; retry shortly")
            self._pending.extend(jobs)
            self._queued += sentences
            self._active += sentences
            self._active_cost += total
            self._update_peak()
            self._cond.notify_all()
            self._report_waiting()
        return [job.future for job in jobs]

    def close(self, timeout: float = 5.0) -> None:
        """Stop accepting work, fail what is still waiting, and join the worker thread."""
        with self._cond:
            self._closed = True
            leftover = list(self._pending)
            self._pending.clear()
            self._active -= self._queued
            self._active_cost -= sum(job.cost for job in leftover)
            self._queued = 0
            self._cond.notify_all()
        for job in leftover:
            job.future.set_exception(BatcherClosedError("the translation service is shutting down"))
        self._thread.join(timeout)

    def _update_peak(self) -> None:
        """Raise the peak to the current load, or let it fall once it is older than a few decode cycles."""
        now = time.monotonic()
        if self._active >= self._peak or now - self._peak_at > max(0.5, 4 * self._cycle):
            self._peak, self._peak_at = self._active, now

    def _expected(self) -> int:
        """How many sentences a group should gather before it stops waiting."""
        self._update_peak()
        return max(1, min(self.max_batch_size, self._peak))

    def _same_kind(self, kind: Kind) -> int:
        return sum(len(j.texts) for j in self._pending if kind_of(j) == kind)

    def _await_work(self) -> bool:
        """Block until there is work and, under load, until its companions have come or ``max_wait`` has
        passed; False once closed."""
        with self._cond:
            while not self._pending and not self._closed:
                self._cond.wait()
            if self._closed:
                return False
            first = self._pending[0]
            deadline = max(first.arrived, self._free_since) + self.max_wait
            while not self._closed and self._same_kind(kind_of(first)) < self._expected():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._cond.wait(remaining)
            return not self._closed

    def _next_group(self) -> list[Job] | None:
        """The group of the oldest pending job's kind, taken now (None if nothing is pending: closed)."""
        with self._cond:
            if self._closed or not self._pending:
                return None
            return self._take(kind_of(self._pending[0]))

    def _take(self, kind: Kind) -> list[Job]:
        """Remove and return the oldest jobs of ``kind`` (beam size, n-best size, constrained), up to ``max_batch_size``
        sentences and ``max_group_cost`` (always at least one job). Called with the lock held."""
        group: list[Job] = []
        size, cost = 0, 0.0
        keep: deque[Job] = deque()
        while self._pending:
            job = self._pending.popleft()
            fits = not group or (
                size + len(job.texts) <= self.max_batch_size and cost + job.cost <= self.max_group_cost
            )
            if kind_of(job) == kind and fits and size < self.max_batch_size:
                group.append(job)
                size += len(job.texts)
                cost += job.cost
            else:
                keep.append(job)
        self._pending = keep
        self._queued -= size
        self._report_waiting()
        return group

    def _report_waiting(self) -> None:
        if self._monitor is not None:
            self._monitor.waiting(self._queued)

    def _run(self) -> None:
        """Worker loop: decode groups until closed; the load count drops before the answers go out."""
        while self._await_work():
            with self.gate:  # the group is taken once a slot is held, with all that came meanwhile
                group = self._next_group()
                if group is None:
                    return
                live = [job for job in group if job.future.set_running_or_notify_cancel()]
                started = time.monotonic()
                outcomes = self._decode(live) if live else []
            with self._cond:
                self._active -= sum(len(job.texts) for job in group)
                self._active_cost -= sum(job.cost for job in group)
                self._free_since = time.monotonic()
                self._cycle = self._free_since - started
            if self._after_decode is not None:
                self._after_decode()
            for job, outcome in outcomes:
                if isinstance(outcome, BaseException):
                    job.future.set_exception(outcome)
                else:
                    job.future.set_result(outcome)

    def _decode(self, group: list[Job]) -> list[tuple[Job, list[Any] | BaseException]]:
        """Translate a group in one call; on failure, retry each job alone to isolate the error."""
        texts = [text for job in group for text in job.texts]
        terms = [t for job in group for t in job.constraints] if group[0].constraints is not None else None
        try:
            results = self._call(group[0], texts, terms)
        except Exception as err:  # noqa: BLE001 - any failure must reach the waiting requests
            if len(group) == 1:
                return [(group[0], err)]
            log.warning("batched decode of %d requests failed (%s); retrying one by one", len(group), err)
            return [(job, self._decode_one(job)) for job in group]
        self._record(len(texts))
        outcomes: list[tuple[Job, list[Any] | BaseException]] = []
        start = 0
        for job in group:
            outcomes.append((job, results[start : start + len(job.texts)]))
            start += len(job.texts)
        return outcomes

    def _decode_one(self, job: Job) -> list[Any] | BaseException:
        try:
            result = self._call(job, job.texts, job.constraints)
        except Exception as err:  # noqa: BLE001
            return err
        self._record(len(job.texts))
        return result

    def _call(self, job: Job, texts: list[str], constraints: list[Constraints] | None) -> list[Any]:
        """One ``translate`` call for ``texts`` with ``job``'s beam and n-best sizes (and ``constraints``)."""
        return self._translate(
            texts, beam_size=job.beam_size, batch_size=self.max_batch_size, n_best=job.n_best, constraints=constraints
        )

    def _record(self, sentences: int) -> None:
        if self._monitor is not None:
            self._monitor.decoded(sentences)
        self.stats.batches += 1
        self.stats.sentences += sentences
        self.stats.largest = max(self.stats.largest, sentences)
