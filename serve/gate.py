"""A first-come-first-served limit on how many decode calls of one worker run at once.

Every package of a worker has its own micro-batchers (``serve.batcher``), each with its own decoding thread.
Without a limit, four packages with two lanes each would run eight decodes at once on two cores: each runs
slower, and while they all run, the requests that arrive for a package wait in many small groups instead of
one. The batchers of a worker therefore share a :class:`DecodeGate` with one slot per core: a batcher takes
its group only once it holds a slot, so everything that arrived for its package in the meantime is decoded
in that one call. Slots are handed out in the order they were asked for, so no package starves another.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class DecodeGate:
    """At most ``slots`` holders at a time; waiters are admitted first come, first served."""

    def __init__(self, slots: int) -> None:
        if slots < 1:
            raise ValueError(f"a decode gate needs at least one slot, not {slots}")
        self.slots = slots
        self._free = slots
        self._queue: deque[object] = deque()  # one ticket per waiting thread, oldest first
        self._cond = threading.Condition()

    @property
    def waiting(self) -> int:
        """Threads waiting for a slot."""
        with self._cond:
            return len(self._queue)

    def acquire(self) -> None:
        """Block until a slot is free and every earlier waiter has had one; take it."""
        ticket = object()
        with self._cond:
            self._queue.append(ticket)
            self._cond.notify_all()  # lets observers (tests) see the new waiter
            self._cond.wait_for(lambda: self._free > 0 and self._queue[0] is ticket)
            self._queue.popleft()
            self._free -= 1
            self._cond.notify_all()  # the next waiter may take a further free slot

    def release(self) -> None:
        """Give a slot back."""
        with self._cond:
            if self._free >= self.slots:
                raise RuntimeError("DecodeGate.release() without acquire()")
            self._free += 1
            self._cond.notify_all()

    def wait_for_waiters(self, count: int, timeout: float) -> bool:
        """Block until at least ``count`` threads wait (False after ``timeout`` seconds); for tests."""
        with self._cond:
            return self._cond.wait_for(lambda: len(self._queue) >= count, timeout)

    def __enter__(self) -> DecodeGate:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


class CoreShare:
    """How many intra-op threads a decode call of a worker uses: ``cores`` when no other decode of the worker
    runs as it starts (one client's request then has every core of the worker), one otherwise (decodes side
    by side, one core each). ``cores`` 1: always one. The count is set per decoding thread with
    ``set_threads`` (``torch.set_num_threads``, which holds per thread under OpenMP) before each call; a
    decode that starts beside a wide one runs with it on shared cores until the wide one ends."""

    def __init__(self, cores: int, set_threads: Callable[[int], None]) -> None:
        if cores < 1:
            raise ValueError(f"a core share needs at least one core, not {cores}")
        self.cores = cores
        self._set_threads = set_threads
        self._running = 0
        self._lock = threading.Lock()

    @property
    def running(self) -> int:
        """Decode calls under way."""
        with self._lock:
            return self._running

    @contextmanager
    def decoding(self) -> Iterator[int]:
        """Count one decode call for its duration; yields the threads it was given."""
        with self._lock:
            self._running += 1
            threads = self.cores if self._running == 1 else 1
        self._set_threads(threads)
        try:
            yield threads
        finally:
            with self._lock:
                self._running -= 1


class WorkerGates:
    """The gates the batchers of one worker share: ``light`` (``slots`` slots) for the light lanes of every
    package, ``heavy`` (half as many, at least one) for the heavy lanes, so that large requests never hold
    every core while small ones wait; ``share`` (optional) spreads the worker's cores over the decodes that
    run (:class:`CoreShare`)."""

    def __init__(self, slots: int, share: CoreShare | None = None) -> None:
        self.light = DecodeGate(slots)
        self.heavy = DecodeGate(max(1, slots // 2))
        self.share = share
