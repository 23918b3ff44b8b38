"""The core share: a decode that starts alone in its worker gets every core of the worker, one that starts
beside another gets one; batchers set the count in their own decoding thread before each call. Events order
the steps, never sleeps."""

from __future__ import annotations

import threading

import pytest
from test_serve_batcher import WAIT_S, FakeTranslator

from serve.batcher import MicroBatcher
from serve.gate import CoreShare, DecodeGate, WorkerGates
from serve.settings import Settings


class ThreadLog:
    """Records (thread name, threads) for every ``set_threads`` call."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int]] = []
        self._lock = threading.Lock()

    def __call__(self, threads: int) -> None:
        with self._lock:
            self.calls.append((threading.current_thread().name, threads))


def test_a_lone_decode_gets_every_core_and_a_second_one_gets_one() -> None:
    log = ThreadLog()
    share = CoreShare(2, log)
    with share.decoding() as first:
        assert (first, share.running) == (2, 1)
        with share.decoding() as second:
            assert (second, share.running) == (1, 2)
    assert share.running == 0
    with share.decoding() as again:  # alone again once both have ended
        assert again == 2
    assert [threads for _, threads in log.calls] == [2, 1, 2]


def test_one_core_always_gives_one_thread() -> None:
    share = CoreShare(1, ThreadLog())
    with share.decoding() as threads:
        assert threads == 1


def test_the_count_drops_when_a_decode_fails() -> None:
    share = CoreShare(2, ThreadLog())
    with pytest.raises(ValueError), share.decoding():
        raise ValueError("decode failed")
    assert share.running == 0


def test_misuse_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one core"):
        CoreShare(0, ThreadLog())


def test_batchers_set_the_threads_in_their_own_thread_before_each_call() -> None:
    """The first batcher's call is held, so the second batcher's call starts beside it and gets one core."""
    log = ThreadLog()
    share = CoreShare(2, log)
    gate = DecodeGate(2)
    busy, other = FakeTranslator(), FakeTranslator()
    busy.gate.clear()
    first = MicroBatcher(busy.translate, max_wait_ms=0, gate=gate, share=share, name="first-lane")
    second = MicroBatcher(other.translate, max_wait_ms=0, gate=gate, share=share, name="second-lane")
    try:
        held = first.submit(["x"], 1)
        assert busy.entered.wait(WAIT_S)
        assert second.submit(["y"], 1).result(WAIT_S) == ["y:1"]
        busy.gate.set()
        assert held.result(WAIT_S) == ["x:1"]
        assert first.submit(["z"], 1).result(WAIT_S) == ["z:1"]  # alone: every core again
    finally:
        first.close()
        second.close()
    assert log.calls == [("first-lane", 2), ("second-lane", 1), ("first-lane", 2)]
    assert share.running == 0


def test_the_setting_gives_the_worker_its_share() -> None:
    assert Settings().core_share is None
    share = Settings(adaptive_threads=True, workers=1).core_share
    assert share is not None and share.cores == Settings(workers=1).cores_per_worker
    assert WorkerGates(2, share).share is share
