"""The real server (nginx in front of gunicorn) against slow and malformed clients, over raw sockets.

No sleeps order events here: the slow connections are opened and their partial requests sent before the
health checks start, and the closing of those connections is awaited by polling with a deadline."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from serve_testlib import free_loopback_port, http_exchange, start_server, stop_server

from bench.slow_clients import closed_by_server, slow_connection
from serve.proxy import find_nginx

SLOW_CONNECTIONS = 256
CLIENT_TIMEOUT_S = 3

pytestmark = pytest.mark.skipif(find_nginx() is None, reason="needs nginx (the CI installs it)")


@pytest.fixture(scope="module")
def guarded_server(tiny_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A server with only four request threads and a short client timeout, nginx required."""
    port = free_loopback_port()
    log = tmp_path_factory.mktemp("abuse") / "server.log"
    flags = ("--threads", "4", "--proxy", "nginx", "--client-timeout-s", str(CLIENT_TIMEOUT_S))
    proc = start_server(tiny_package, port, log, *flags)
    try:
        yield port
    finally:
        stop_server(proc)


def test_slow_clients_hold_no_request_thread_and_are_closed_after_the_timeout(guarded_server: int) -> None:
    slow = [slow_connection(guarded_server, k) for k in range(SLOW_CONNECTIONS)]
    try:
        for _ in range(20):  # four request threads, 256 stalled connections: health still answers every time
            status, _, body = http_exchange(guarded_server, "GET", "/v1/health")
            assert status == 200 and json.loads(body)["status"] == "ready"
        body = json.dumps({"text": "Ein Hund läuft."}).encode()
        assert http_exchange(guarded_server, "POST", "/v1/translate", body)[0] == 200
        deadline = time.monotonic() + CLIENT_TIMEOUT_S + 30
        assert all(closed_by_server(conn, deadline) for conn in slow)
    finally:
        for conn in slow:
            conn.close()


def _raw(port: int, request: bytes) -> tuple[int, str, dict]:
    """Send raw bytes; returns (status, content type, JSON body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as conn:
        conn.sendall(request)
        data = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := conn.recv(65536):
                data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers.get("content-type", ""), json.loads(body)


@pytest.mark.parametrize(
    ("request_bytes", "status"),
    [
        (b"POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\nConnection: close\r\n\r\n{}", 400),
        (
            b"POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n"
            b"Connection: close\r\n\r\n0\r\n\r\n",
            400,
        ),
        (b"GET /v1/health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 20_000 + b"\r\nConnection: close\r\n\r\n", 400),
        (b"GET /v1/heatmap?text=" + b"a" * 9_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 414),
        (b"POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999\r\nConnection: close\r\n\r\n", 413),
        (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 not HTTP at all\r\n\r\n", 400),
    ],
    ids=["bad-length", "length-and-chunked", "huge-header", "long-url", "huge-body", "not-http"],
)
def test_malformed_http_gets_a_json_error(guarded_server: int, request_bytes: bytes, status: int) -> None:
    got, content_type, body = _raw(guarded_server, request_bytes)
    assert (got, content_type) == (status, "application/json")
    assert isinstance(body["error"], str) and body["error"]
    if b"X-Big" in request_bytes:
        assert body["error"] == "the request headers are too large"


def test_nginx_is_required_when_asked_and_missing(tiny_package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from serve import server
    from serve.settings import Settings

    monkeypatch.setattr(server, "find_nginx", lambda: None)
    monkeypatch.setattr(server, "check_model", lambda *args: None)
    with pytest.raises(server.ProxyError, match="no nginx binary"):
        server.run(Settings(model_dir=str(tiny_package), proxy="nginx"))


def test_a_busy_port_stops_startup_with_one_error(tiny_package: Path, tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(AssertionError, match="cannot listen on 127.0.0.1"):
            proc = start_server(tiny_package, port, tmp_path / "log", "--proxy", "nginx")
            stop_server(proc)


def test_a_small_request_is_served_during_a_flood_of_the_largest_requests(guarded_server: int) -> None:
    """Two clients send the largest request the limits allow (64 unsplit texts of 1,000 characters at beam 16:
    tens of seconds of decoding); a one-sentence greedy request sent after them is answered while both are
    pending."""
    text = ("Ein Mann fährt mit dem Fahrrad über eine Brücke. " * 25)[:1000]
    big = json.dumps({"texts": [text] * 64, "beam_size": 16, "split": False}).encode()
    flood = []
    for _ in range(2):
        conn = socket.create_connection(("127.0.0.1", guarded_server), timeout=120)
        head = f"POST /v1/translate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(big)}"
        conn.sendall(head.encode() + b"\r\n\r\n" + big)
        flood.append(conn)
    try:
        deadline = time.monotonic() + 60  # poll (with a deadline) until the worker is decoding the flood
        while json.loads(http_exchange(guarded_server, "GET", "/v1/health")[2])["load"]["heavy_cost"] == 0:
            assert time.monotonic() < deadline, "the large requests never reached the heavy lane"
        small = json.dumps({"text": "Ein Hund.", "beam_size": 1}).encode()
        assert http_exchange(guarded_server, "POST", "/v1/translate", small)[0] == 200
        for conn in flood:  # neither large request has been answered yet
            conn.setblocking(False)
            with pytest.raises(BlockingIOError):
                conn.recv(1)
    finally:
        for conn in flood:
            conn.close()
