"""Helpers for the serving tests that start real servers on loopback ports."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60


def free_loopback_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def http_request(
    port: int, method: str, path: str, body: bytes | None = None, ctype: str = "application/json"
) -> tuple[int, str, bytes]:
    """One request on a fresh connection to 127.0.0.1 -> (status, content type, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={"Content-Type": ctype} if body is not None else {})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type") or "", response.read()
    finally:
        conn.close()


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the gunicorn master (it stops its workers); kill the process group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def wait_ready(proc: subprocess.Popen, port: int, log: Path) -> None:
    """Poll ``/v1/health`` until it answers 200; fail with the server's log if it exits or takes too long."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early:\n{log.read_text(errors='replace')}")
        try:
            if http_request(port, "GET", "/v1/health")[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"server did not become ready in time:\n{log.read_text(errors='replace')}")


def start_server(model_dir: Path, port: int, log: Path, *flags: str) -> subprocess.Popen:
    """Start ``python -m serve`` on 127.0.0.1:``port`` in its own process group (output to ``log``) and wait
    until it is ready."""
    cmd = [
        sys.executable,
        "-m",
        "serve",
        "--model",
        str(model_dir),
        "--port",
        str(port),
        "--max-wait-ms",
        "10",
        "--torch-threads",
        "1",
        *flags,
    ]
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        wait_ready(proc, port, log)
    except BaseException:
        stop_server(proc)
        raise
    return proc
