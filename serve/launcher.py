"""Starting ``python -m serve`` as a child process and waiting until it answers: the one launcher of the
benchmarks and the tests.

The child runs in its own process group (so stopping it stops its gunicorn workers and nginx too) and, on
Linux, gets SIGTERM when the process that started it dies. Readiness is ``GET /v1/health`` answering 200;
anything else (no listener yet, a 503 while the model loads, a timeout) is polled again after a delay that
doubles from ``FIRST_DELAY_S`` up to ``MAX_DELAY_S``, until ``timeout_s``.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from serve.proxy import die_with_parent

REPO = Path(__file__).resolve().parents[1]
FIRST_DELAY_S = 0.05
MAX_DELAY_S = 1.0
STOP_TIMEOUT_S = 15


class ServerStartError(RuntimeError):
    """The server exited or did not become ready in time; the message ends with its log."""


def free_loopback_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def health_status(port: int, timeout_s: float = 5.0) -> int | None:
    """The status of ``GET /v1/health`` on 127.0.0.1:``port``; None when nothing answers."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        conn.request("GET", "/v1/health")
        response = conn.getresponse()
        response.read()
        return response.status
    except OSError:
        return None
    finally:
        conn.close()


def _log_tail(log: Path, chars: int = 4000) -> str:
    return log.read_text(errors="replace")[-chars:] if log.is_file() else "(no log)"


def wait_ready(proc: subprocess.Popen | None, port: int, log: Path, timeout_s: float) -> int:
    """Poll health with backoff until it answers 200 (returns the number of polls); ServerStartError when
    ``proc`` exits first or ``timeout_s`` passes."""
    deadline, delay, polls = time.monotonic() + timeout_s, FIRST_DELAY_S, 0
    while True:
        if proc is not None and proc.poll() is not None:
            raise ServerStartError(f"the server exited with status {proc.returncode}:\n{_log_tail(log)}")
        polls += 1
        if health_status(port) == 200:
            return polls
        if time.monotonic() + delay > deadline:
            raise ServerStartError(f"the server was not ready within {timeout_s:g} s:\n{_log_tail(log)}")
        time.sleep(delay)  # not ready (no listener, 503, timeout): ask again later, less often
        delay = min(2 * delay, MAX_DELAY_S)


def start_server(flags: Sequence[str], port: int, log: Path, timeout_s: float = 120.0) -> subprocess.Popen:
    """``python -m serve --host 127.0.0.1 --port PORT FLAGS`` in its own process group, output to ``log``,
    returned once ready (stopped again, and ServerStartError, when it does not come up)."""
    cmd = [sys.executable, "-m", "serve", "--host", "127.0.0.1", "--port", str(port), *flags]
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=REPO, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, preexec_fn=die_with_parent
        )
    try:
        wait_ready(proc, port, log, timeout_s)
    except BaseException:
        stop_server(proc)
        raise
    return proc


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the gunicorn master (it stops its workers); kill the process group if it lingers."""
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
