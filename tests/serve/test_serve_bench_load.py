"""The serving benchmark's load generator reads back how many sentences the server decoded per call."""

from __future__ import annotations

import argparse

from prometheus_client import CollectorRegistry, Histogram, generate_latest

from bench.serve_load import batch_totals, per_decode, run_level
from serve.metrics import BATCH_BUCKETS, BATCH_SIZE_NAME


def test_batch_totals_sum_every_pair_and_lane_of_the_histogram() -> None:
    registry = CollectorRegistry()
    histogram = Histogram(BATCH_SIZE_NAME, "test", ["pair", "lane"], buckets=BATCH_BUCKETS, registry=registry)
    for pair, lane, size in [("de-en", "light", 3), ("de-en", "light", 5), ("en-fr", "heavy", 40)]:
        histogram.labels(pair=pair, lane=lane).observe(size)
    assert batch_totals(generate_latest(registry).decode()) == (48.0, 3.0)
    assert batch_totals("# no such metric\nother_total 4.0\n") == (0.0, 0.0)


def test_per_decode_is_the_mean_of_the_calls_between_two_readings() -> None:
    assert per_decode((10.0, 4.0), (40.0, 10.0)) == 5.0
    assert per_decode((10.0, 4.0), (10.0, 4.0)) is None  # no call in between
    assert per_decode(None, (1.0, 1.0)) is None


def test_a_level_reports_sentences_per_decode_from_the_live_server(live_server: int) -> None:
    args = argparse.Namespace(requests=12, level_timeout=120.0, timeout=60.0, server_pid=None)
    body = {"text": "Ein Hund läuft. Zwei Katzen schlafen.", "beam_size": 1}  # two sentences, one decode group
    result = run_level("127.0.0.1", live_server, 4, lambda _i: body, args)
    assert (result.ok, result.errors) == (12, 0)
    assert result.sentences_per_decode is not None
    assert 2.0 <= result.sentences_per_decode <= 8.0  # whole requests of 2 sentences, at most 4 at once
