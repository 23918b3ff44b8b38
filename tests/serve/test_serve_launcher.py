"""The one server launcher (``serve.launcher``): readiness waits through any not-ready answer with backoff,
and a server that exits or never gets ready is an error carrying its log."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from serve.launcher import ServerStartError, wait_ready


class _Health(BaseHTTPRequestHandler):
    """Answers /v1/health with 503 ``not_ready`` times, then 200."""

    not_ready = 3
    seen: list[int] = []

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        status = 503 if len(self.seen) < self.not_ready else 200
        self.seen.append(status)
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def health_server() -> Iterator[int]:
    _Health.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def test_a_503_is_polled_again_until_health_answers_200(health_server: int, tmp_path: Path) -> None:
    polls = wait_ready(None, health_server, tmp_path / "log", timeout_s=30)
    assert polls == 4 and _Health.seen == [503, 503, 503, 200]


def test_a_server_that_never_gets_ready_is_an_error_with_its_log(health_server: int, tmp_path: Path) -> None:
    _Health.not_ready = 10**6
    (tmp_path / "log").write_text("still loading the model\n")
    try:
        with pytest.raises(ServerStartError, match="not ready within 0.3 s:\nstill loading"):
            wait_ready(None, health_server, tmp_path / "log", timeout_s=0.3)
    finally:
        _Health.not_ready = 3
    assert set(_Health.seen) == {503}


def test_a_server_that_exits_is_an_error_with_its_status(tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, "-c", "raise SystemExit(3)"])
    proc.wait()
    with pytest.raises(ServerStartError, match="exited with status 3"):
        wait_ready(proc, 9, tmp_path / "log", timeout_s=30)
