"""Over HTTP against the real server: API keys (401), rate limits (429 with Retry-After), request ids through
nginx, and Prometheus metrics summed over two gunicorn workers."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from serve_testlib import free_loopback_port, http_exchange, start_server, stop_server

from serve.proxy import find_nginx

KEYS = ("key-one", "key-two")
BODY = json.dumps({"text": "Zwei Hunde spielen.", "beam_size": 1}).encode()


@pytest.fixture(scope="module")
def keyed_server(tiny_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """One worker (rate-limit counts are per worker with memory:// storage), keys, 4 requests an hour."""
    folder = tmp_path_factory.mktemp("keyed")
    keys = folder / "keys.txt"
    keys.write_text("# the test keys\nkey-one\n\nkey-two\n", encoding="utf-8")
    port = free_loopback_port()
    flags = ("--api-keys-file", str(keys), "--rate-limit", "4/hour", "--workers", "1", "--threads", "4")
    proc = start_server(tiny_package, port, folder / "server.log", *flags, "--max-body-bytes", "4096")
    try:
        yield port
    finally:
        stop_server(proc)


def _translate(port: int, headers: dict[str, str]) -> tuple[int, dict[str, str], dict]:
    status, response_headers, data = http_exchange(port, "POST", "/v1/translate", BODY, headers=headers)
    return status, response_headers, json.loads(data)


def test_without_a_valid_key_the_answer_is_401(keyed_server: int) -> None:
    status, headers, body = _translate(keyed_server, {})
    assert status == 401 and "API key is required" in body["error"] and headers["www-authenticate"]
    assert _translate(keyed_server, {"X-API-Key": "key-three"})[0] == 401
    assert _translate(keyed_server, {"Authorization": "Bearer nope"})[0] == 401
    assert _translate(keyed_server, {"X-API-Key": "key-one"})[0] == 200
    assert _translate(keyed_server, {"Authorization": "Bearer key-one"})[0] == 200
    for path in ("/v1/health", "/v1/languages", "/v1/model", "/metrics", "/"):
        assert http_exchange(keyed_server, "GET", path)[0] == 200, path
    languages = json.loads(http_exchange(keyed_server, "GET", "/v1/languages")[2])
    assert languages["api_key_required"] is True


def test_over_the_rate_limit_the_answer_is_429_with_retry_after(keyed_server: int) -> None:
    answers = [_translate(keyed_server, {"X-API-Key": "key-two"}) for _ in range(5)]
    assert [status for status, _, _ in answers] == [200, 200, 200, 200, 429]
    status, headers, body = answers[-1]
    assert int(headers["retry-after"]) > 0 and "too many requests" in body["error"]
    assert headers["x-ratelimit-limit"] == "4" and headers["x-ratelimit-remaining"] == "0"


def test_request_ids_reach_every_response(keyed_server: int) -> None:
    status, headers, _ = http_exchange(keyed_server, "GET", "/v1/health", headers={"X-Request-ID": "trace-42"})
    assert status == 200 and headers["x-request-id"] == "trace-42"
    assert len(http_exchange(keyed_server, "GET", "/v1/health")[1]["x-request-id"]) >= 16
    if find_nginx() is not None:  # an error nginx answers itself carries one too
        status, headers, _ = http_exchange(keyed_server, "POST", "/v1/translate", b"x" * 10_000)
        assert status == 413 and headers["x-request-id"]


def _requests_total(port: int) -> float:
    status, _, data = http_exchange(port, "GET", "/metrics")
    assert status == 200
    total = 0.0
    for family in text_string_to_metric_families(data.decode()):
        for sample in family.samples:
            labels = sample.labels
            if sample.name == "translator_requests_total" and labels.get("endpoint") == "/v1/translate":
                total += sample.value if labels.get("status") == "200" else 0.0
    return total


def test_metrics_add_up_over_the_workers(live_server: int) -> None:
    """The live server has two workers: whichever answers /metrics counts every worker's requests."""
    before = _requests_total(live_server)
    for _ in range(6):
        assert http_exchange(live_server, "POST", "/v1/translate", BODY)[0] == 200
    assert _requests_total(live_server) == before + 6
    _, _, data = http_exchange(live_server, "GET", "/metrics")
    pids = {
        s.labels["pid"]
        for f in text_string_to_metric_families(data.decode())
        for s in f.samples
        if s.name == "translator_worker_requests"
    }
    assert pids  # one series per worker
