"""The decode gate: first come, first served; a bounded number of holders; batchers that share it decode
one group at a time, and what arrives while a batcher waits for a slot joins its group. Events and the
gate's own waiter count order the steps, never sleeps."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from batcher_testlib import WAIT_S, FakeTranslator

from serve.batcher import MicroBatcher
from serve.catalog import Catalog, load_translators
from serve.gate import DecodeGate, WorkerGates
from serve.settings import Settings


def _acquire_then_log(gate: DecodeGate, name: str, order: list[str]) -> threading.Thread:
    def run() -> None:
        with gate:
            order.append(name)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_slots_go_to_waiters_in_the_order_they_asked() -> None:
    gate, order = DecodeGate(1), []
    gate.acquire()
    threads = []
    for count, name in enumerate(["a", "b", "c"], start=1):
        threads.append(_acquire_then_log(gate, name, order))
        assert gate.wait_for_waiters(count, WAIT_S)  # name is queued before the next one asks
    gate.release()
    for thread in threads:
        thread.join(WAIT_S)
    assert order == ["a", "b", "c"]
    assert gate.waiting == 0


def test_no_more_holders_than_slots() -> None:
    gate, order = DecodeGate(2), []
    gate.acquire()
    gate.acquire()  # both slots held: a third caller must wait
    thread = _acquire_then_log(gate, "third", order)
    assert gate.wait_for_waiters(1, WAIT_S)
    assert order == []
    gate.release()
    thread.join(WAIT_S)
    assert order == ["third"]
    gate.release()


def test_misuse_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one slot"):
        DecodeGate(0)
    with pytest.raises(RuntimeError, match="without acquire"):
        DecodeGate(1).release()


def test_heavy_lanes_get_half_the_slots() -> None:
    assert (WorkerGates(4).light.slots, WorkerGates(4).heavy.slots) == (4, 2)
    assert WorkerGates(1).heavy.slots == 1


def test_a_batcher_waiting_for_a_slot_gathers_what_arrives_meanwhile() -> None:
    """Two packages' batchers share one slot: while the first decodes, the second's requests pile up and
    are decoded in one call once the slot is free."""
    gate = DecodeGate(1)
    busy, other = FakeTranslator(), FakeTranslator()
    busy.gate.clear()  # holds its first call, and so the only slot
    first = MicroBatcher(busy.translate, max_wait_ms=0, gate=gate)
    second = MicroBatcher(other.translate, max_wait_ms=0, gate=gate)
    try:
        held = first.submit(["x"], 1)
        assert busy.entered.wait(WAIT_S)
        futures = [second.submit(["s0"], 1)]
        assert gate.wait_for_waiters(1, WAIT_S)  # the second batcher waits for the slot, holding nothing
        futures += [second.submit([f"s{i}"], 1) for i in range(1, 5)]
        assert not other.entered.is_set()
        busy.gate.set()
        assert [f.result(WAIT_S) for f in futures] == [[f"s{i}:1"] for i in range(5)]
        assert held.result(WAIT_S) == ["x:1"]
    finally:
        first.close()
        second.close()
    assert other.calls == [([f"s{i}" for i in range(5)], 1)]  # one call for all five


def test_the_packages_of_a_worker_share_its_gates(pair_packages: Path) -> None:
    catalog = Catalog(load_translators([pair_packages], None), Settings(decode_slots=3))
    try:
        services = list(catalog.services.values())
        assert len(services) == 2
        assert services[0].light.gate is services[1].light.gate
        assert services[0].heavy.gate is services[1].heavy.gate
        assert (services[0].light.gate.slots, services[0].heavy.gate.slots) == (3, 1)
    finally:
        catalog.close()
