"""Scheduling by cost: a small request is served while the heavy lane is busy with a flood; the heavy lane's
bound on work in flight answers 503 with Retry-After. Events order the steps (the heavy decode is held at a
gate), never sleeps."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from batcher_testlib import WAIT_S, FakeTranslator, held_batcher

from serve.app import create_app, service_of
from serve.batcher import MicroBatcher
from serve.jobs import QueueFullError
from serve.memory import release_memory
from serve.service import cost_chunks, request_cost
from serve.settings import Settings


def test_request_cost_is_characters_times_beam() -> None:
    assert request_cost(["abc", ""], 5) == (4 + 1) * 5
    settings = Settings()
    assert settings.inflight_cost_limit == 4 * (64000 + 256) * 16  # four of the largest requests: chars + sentences
    assert Settings(max_inflight_cost=10).inflight_cost_limit == 10


def test_many_cheap_sentences_go_to_the_heavy_lane(lanes_app) -> None:  # noqa: ANN001
    """Cheap by characters but more sentences than a batch: light by cost, heavy by size."""
    service = service_of(lanes_app)
    size = service.settings.max_batch_size
    assert service.lane(request_cost(["a"] * size, 1), size) is service.light
    assert service.lane(request_cost(["a"] * (size + 1), 1), size + 1) is service.heavy
    assert service.lane(service.settings.light_cost + 1, 1) is service.heavy


def test_heavy_requests_are_cut_into_chunks_of_bounded_cost() -> None:
    texts = ["a" * 9, "b" * 9, "c" * 9, "d" * 29, "e"]
    chunks = cost_chunks(texts, beam=2, limit=40)
    assert chunks == [["a" * 9, "b" * 9], ["c" * 9], ["d" * 29], ["e"]]  # 40, 20, 60 (alone), 4
    assert [t for chunk in chunks for t in chunk] == texts


def test_a_group_stays_under_its_cost_bound() -> None:
    with held_batcher(max_wait_ms=0, max_group_cost=10) as (fake, batcher):
        first = batcher.submit(["warm-up"], 1, cost=1)
        assert fake.entered.wait(WAIT_S)
        futures = [batcher.submit([f"s{i}"], 1, cost=4) for i in range(5)]
        fake.gate.set()
        assert [f.result(WAIT_S) for f in [first, *futures]]
    assert [len(texts) for texts, _ in fake.calls] == [1, 2, 2, 1]  # at most two jobs of cost 4 per call


def test_the_cost_bound_refuses_work_past_it_but_never_a_lone_request() -> None:
    with held_batcher(max_wait_ms=0, max_cost=100) as (fake, batcher):
        big = batcher.submit(["a"], 1, cost=150)  # over the bound, but nothing is in flight: accepted
        assert fake.entered.wait(WAIT_S)
        with pytest.raises(QueueFullError, match="too much work in flight"):
            batcher.submit(["b"], 1, cost=1)
        fake.gate.set()
        assert big.result(WAIT_S) == ["a:1"]
        assert batcher.submit(["c"], 1, cost=60).result(WAIT_S) == ["c:1"]  # in flight again drops to 0


def test_the_chunks_of_a_request_are_admitted_or_refused_together() -> None:
    with held_batcher(max_wait_ms=0, max_cost=100, max_group_cost=30) as (fake, batcher):
        first = batcher.submit_many([["a"], ["b"], ["c"]], 1, [30, 30, 30])  # 90 in flight
        assert fake.entered.wait(WAIT_S)
        with pytest.raises(QueueFullError):
            batcher.submit_many([["d"], ["e"]], 1, [5, 10])  # 105 > 100: none of it is queued
        fake.gate.set()
        assert [f.result(WAIT_S) for f in first] == [["a:1"], ["b:1"], ["c:1"]]
    assert [texts for texts, _ in fake.calls] == [["a"], ["b"], ["c"]]


def test_after_decode_runs_after_every_group() -> None:
    fake, calls = FakeTranslator(), []
    batcher = MicroBatcher(fake.translate, max_wait_ms=0, after_decode=lambda: calls.append(1))
    try:
        assert batcher.submit(["a"], 2).result(WAIT_S) == ["a:2"]
    finally:
        batcher.close()
    assert calls == [1]
    assert release_memory() in (True, False)  # callable on this C library


@pytest.fixture()
def lanes_app(translator):  # noqa: ANN001, ANN201 - the tiny package's Translator; a Flask app
    settings = Settings(max_wait_ms=0.0, light_cost=200, max_inflight_cost=5000, max_text_chars=1000)
    app = create_app(translator, settings)
    yield app
    service_of(app).close()


def test_a_small_request_is_served_while_the_heavy_lane_decodes_a_flood(lanes_app) -> None:  # noqa: ANN001
    service = service_of(lanes_app)
    gate, entered = threading.Event(), threading.Event()
    real = service.heavy._translate  # noqa: SLF001 - hold the heavy lane's decoding at a gate

    def held(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        entered.set()
        assert gate.wait(WAIT_S)
        return real(*args, **kwargs)

    service.heavy._translate = held  # noqa: SLF001
    client = lanes_app.test_client()
    big = {"texts": ["Ein Mann fährt mit dem Fahrrad über eine Brücke. " * 10] * 2, "beam_size": 3}
    with ThreadPoolExecutor(2) as pool:
        flood = pool.submit(client.post, "/v1/translate", json=big)
        assert entered.wait(WAIT_S)  # the large request is being decoded (held)
        small = client.post("/v1/translate", json={"text": "Ein Hund.", "beam_size": 1})
        assert small.status_code == 200 and not flood.done()  # served while the flood still decodes
        refused = client.post("/v1/translate", json=big)
        assert refused.status_code == 503 and refused.headers["Retry-After"]
        assert "too much work in flight" in json.loads(refused.data)["error"]
        gate.set()
        assert flood.result(WAIT_S).status_code == 200


def test_a_request_without_beam_size_decodes_with_one_that_names_the_default(translator) -> None:  # noqa: ANN001
    """The default beam is filled in before the batcher: both requests share a batcher key and one call."""
    app = create_app(translator, Settings(max_wait_ms=0.0, decode_slots=1))
    service = service_of(app)
    client = app.test_client()
    default = service.default_beam()
    bodies = [{"text": "Ein Hund läuft."}, {"text": "Eine Katze schläft.", "beam_size": default}]
    service.light.gate.acquire()  # the lane waits for the slot while both requests queue
    try:
        with ThreadPoolExecutor(2) as pool:
            answers = [pool.submit(client.post, "/v1/translate", json=body) for body in bodies]
            assert service.light.wait_for_queued(2, WAIT_S)
            service.light.gate.release()
            statuses = [answer.result(WAIT_S).status_code for answer in answers]
    finally:
        service.close()
    assert statuses == [200, 200]
    assert (service.light.stats.batches, service.light.stats.largest) == (1, 2)


def test_n_best_above_the_beam_widens_the_beam(client) -> None:  # noqa: ANN001
    """Every request the document allows is decoded: n_best 4 with beam 2 decodes at beam 4."""
    answer = client.post("/v1/translate", json={"text": "Ein Hund läuft.", "n_best": 4, "beam_size": 2})
    assert answer.status_code == 200
    body = answer.get_json()
    assert body["beam_size"] == 4 and len(body["translations"][0]["sentences"][0]["n_best"]) == 4
