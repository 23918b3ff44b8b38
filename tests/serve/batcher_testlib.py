"""Helpers of the batcher tests: a fake translator whose calls the test can hold and watch. Events, not
sleeps, order what the tests need ordered: ``entered`` says the worker is inside a call, ``gate`` holds it."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from typing import Any

from serve.batcher import MicroBatcher

WAIT_S = 10  # a deadline for events that must happen; reaching it fails the test


class FakeTranslator:
    """Records each call; 'boom' in a batch makes the call fail; ``gate`` can hold the worker and
    ``entered`` is set once the worker is inside a call."""

    def __init__(self) -> None:
        self.calls: list[tuple[list[str], int | None]] = []
        self.gate = threading.Event()
        self.gate.set()
        self.entered = threading.Event()

    def translate(
        self,
        texts: list[str],
        beam_size: int | None = None,
        batch_size: int | None = None,
        n_best: int = 1,
        constraints: list | None = None,
    ) -> list[str]:
        self.entered.set()
        assert self.gate.wait(WAIT_S), "the test never opened the gate"
        self.calls.append((list(texts), beam_size))
        if "boom" in texts:
            raise ValueError("cannot translate boom")
        return [f"{t}:{beam_size}" for t in texts]


@contextlib.contextmanager
def held_batcher(**options: Any) -> Iterator[tuple[FakeTranslator, MicroBatcher]]:
    """A FakeTranslator with its gate closed (the worker holds at its first call, so that requests pile up)
    and a MicroBatcher on it with ``options``; the batcher is closed when the block ends."""
    fake = FakeTranslator()
    fake.gate.clear()
    batcher = MicroBatcher(fake.translate, **options)
    try:
        yield fake, batcher
    finally:
        batcher.close()
