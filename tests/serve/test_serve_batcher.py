"""The micro-batcher groups concurrent requests, keeps beam sizes apart and isolates errors. Events, not
sleeps, order what the tests need ordered: ``entered`` says the worker is inside a call, ``gate`` holds it."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from batcher_testlib import WAIT_S, FakeTranslator, held_batcher

from serve.batcher import MicroBatcher
from serve.jobs import BatcherClosedError, QueueFullError
from translator.translate import Translator


def test_concurrent_requests_are_grouped() -> None:
    with held_batcher(max_batch_size=8, max_wait_ms=10) as (fake, batcher):
        first = batcher.submit(["warm-up"], 1)
        assert fake.entered.wait(WAIT_S)  # the worker has taken "warm-up" alone and waits at the gate
        futures = [batcher.submit([f"s{i}"], 1) for i in range(12)]
        fake.gate.set()
        assert first.result(5) == ["warm-up:1"]
        assert [f.result(5) for f in futures] == [[f"s{i}:1"] for i in range(12)]
    sizes = [len(texts) for texts, _ in fake.calls]
    assert sizes == [1, 8, 4]
    assert batcher.stats.largest == 8


def test_beam_sizes_are_not_mixed_and_order_is_kept() -> None:
    with held_batcher(max_batch_size=16, max_wait_ms=20) as (fake, batcher):
        futures = [batcher.submit([f"t{i}", f"u{i}"], 1 + i % 2) for i in range(6)]
        fake.gate.set()
        for i, future in enumerate(futures):
            assert future.result(5) == [f"t{i}:{1 + i % 2}", f"u{i}:{1 + i % 2}"]
    for texts, beam in fake.calls:
        assert all(text.endswith(tuple(str(i) for i in range(6))) for text in texts)
        assert {int(t[1:]) % 2 for t in texts} == {(beam - 1) % 2}


def test_an_error_reaches_only_its_request() -> None:
    with held_batcher(max_batch_size=8, max_wait_ms=20) as (fake, batcher):
        good1, bad, good2 = (batcher.submit([t], 1) for t in ("a", "boom", "b"))
        fake.gate.set()
        assert good1.result(5) == ["a:1"] and good2.result(5) == ["b:1"]
        with pytest.raises(ValueError, match="boom"):
            bad.result(5)
        assert batcher.submit(["c"], 1).result(5) == ["c:1"]


def test_queue_limit_and_close() -> None:
    fake = FakeTranslator()
    fake.gate.clear()
    batcher = MicroBatcher(fake.translate, max_batch_size=2, max_wait_ms=0, max_queue=4)
    running = batcher.submit(["x"], 1)
    assert fake.entered.wait(WAIT_S)  # the worker now holds "x"
    waiting = batcher.submit(["a", "b", "c", "d"], 1)
    with pytest.raises(QueueFullError):
        batcher.submit(["e"], 1)
    batcher.close(timeout=0.1)
    with pytest.raises(BatcherClosedError):
        waiting.result(1)
    with pytest.raises(BatcherClosedError):
        batcher.submit(["f"], 1)
    fake.gate.set()
    assert running.result(5) == ["x:1"]
    assert not batcher.alive


def test_batched_results_equal_one_at_a_time(translator: Translator) -> None:
    texts = ["Ein Mann fährt Fahrrad.", "Zwei Hunde.", "", "Kinder spielen im Schnee.", "Ein Junge springt."] * 3
    batcher = MicroBatcher(translator.translate, max_batch_size=32, max_wait_ms=30)
    try:
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(lambda t: batcher.submit([t], 1).result(30)[0], texts))
    finally:
        batcher.close()
    assert batcher.stats.batches < len(texts)
    for text, got in zip(texts, results, strict=True):
        ref = translator.translate([text], beam_size=1)[0]
        assert got.text == ref.text and got.target_tokens == ref.target_tokens
