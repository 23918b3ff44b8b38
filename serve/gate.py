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


class WorkerGates:
    """The gates the batchers of one worker share: ``light`` (``slots`` slots) for the light lanes of every
    package, ``heavy`` (half as many, at least one) for the heavy lanes, so that large requests never hold
    every core while small ones wait."""

    def __init__(self, slots: int) -> None:
        self.light = DecodeGate(slots)
        self.heavy = DecodeGate(max(1, slots // 2))
