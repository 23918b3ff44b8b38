"""Servers over HTTP under conditions that need their own server: a request that runs past the timeout
is a 503 with Retry-After, and test servers never outlive the process that started them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from serve_testlib import free_loopback_port, http_exchange, http_request, start_server, stop_server

DEADLINE_S = 30
HELPER = """
import sys
from pathlib import Path
from serve_testlib import free_loopback_port, start_server
proc = start_server(Path(sys.argv[1]), free_loopback_port(), Path(sys.argv[2]))
print(proc.pid, flush=True)
sys.stdin.read()  # wait to be signalled
"""


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _wait_group_gone(pgid: int) -> bool:
    """Poll until no process of the group is left (True), or the deadline passes (False)."""
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if not _group_alive(pgid):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_a_server_ends_with_the_process_that_started_it(tiny_package: Path, tmp_path: Path, sig: int) -> None:
    helper = subprocess.Popen(
        [sys.executable, "-c", HELPER, str(tiny_package), str(tmp_path / "server.log")],
        cwd=Path(__file__).parent,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server_pid = int(helper.stdout.readline())
        assert _group_alive(server_pid)
        helper.send_signal(sig)
        helper.wait(DEADLINE_S)
        assert _wait_group_gone(server_pid), f"server group {server_pid} still running after {sig!r}"
    finally:
        if helper.poll() is None:
            helper.kill()
        helper.wait()


def test_request_past_the_timeout_is_503_with_retry_after(tiny_package: Path, tmp_path: Path) -> None:
    """With a 1 ms request timeout, a beam-8 request of 200 pieces cannot finish in time."""
    port = free_loopback_port()
    proc = start_server(tiny_package, port, tmp_path / "server.log", "--request-timeout-s", "0.001")
    try:
        body = json.dumps({"text": "Ein Mann fährt Fahrrad. " * 40, "beam_size": 8}).encode()
        status, headers, data = http_exchange(port, "POST", "/v1/translate", body)
        assert status == 503 and headers["content-type"].startswith("application/json"), data
        assert headers["retry-after"] == "1"
        assert "did not finish within" in json.loads(data)["error"]
        assert http_request(port, "GET", "/v1/health")[0] == 200
    finally:
        stop_server(proc)
