"""Helpers for the serving tests that start real servers on loopback ports.

A server started here never outlives the test session: it runs in its own process group, is stopped
with its group at exit and on SIGTERM of the session, and (Linux) gets SIGTERM from the kernel when the
process that started it dies, even by SIGKILL."""

from __future__ import annotations

import atexit
import contextlib
import http.client
import os
import signal
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

from serve import launcher
from serve.launcher import free_loopback_port

REPO = Path(__file__).resolve().parents[2]
START_TIMEOUT_S = 60
TEST_FLAGS = ("--max-wait-ms", "10", "--torch-threads", "1")  # prompt batches, one decoding thread a worker
_started: list[subprocess.Popen] = []
_cleanup_installed = False


def http_exchange(
    port: int,
    method: str,
    path: str,
    body: bytes | None = None,
    ctype: str = "application/json",
    headers: dict[str, str] | None = None,
) -> tuple[int, dict[str, str], bytes]:
    """One request on a fresh connection to 127.0.0.1 (with extra ``headers``) -> (status, headers (lower-case
    names), body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        sent = {"Content-Type": ctype} if body is not None else {}
        conn.request(method, path, body=body, headers={**sent, **(headers or {})})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


def http_request(
    port: int, method: str, path: str, body: bytes | None = None, ctype: str = "application/json"
) -> tuple[int, str, bytes]:
    """One request on a fresh connection to 127.0.0.1 -> (status, content type, body)."""
    status, headers, data = http_exchange(port, method, path, body, ctype)
    return status, headers.get("content-type", ""), data


def stop_server(proc: subprocess.Popen) -> None:
    """Stop a server started here (``serve.launcher.stop_server``) and forget it."""
    launcher.stop_server(proc)
    if proc in _started:
        _started.remove(proc)


def stop_all_servers() -> None:
    """Stop every server this process started and has not stopped yet."""
    for proc in list(_started):
        stop_server(proc)


def _on_sigterm(signum: int, frame: object) -> None:
    """Stop the servers, then die of SIGTERM as the default action would."""
    stop_all_servers()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


def _install_cleanup() -> None:
    """Once per process: stop the servers at exit and on SIGTERM (where a handler can be installed)."""
    global _cleanup_installed
    if _cleanup_installed:
        return
    _cleanup_installed = True
    atexit.register(stop_all_servers)
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _on_sigterm)


@contextlib.contextmanager
def serving(model_dir: Path, log: Path, *flags: str) -> Iterator[int]:
    """A server (``start_server``) on a free loopback port for the duration of the block; yields the port."""
    port = free_loopback_port()
    proc = start_server(model_dir, port, log, *flags)
    try:
        yield port
    finally:
        stop_server(proc)


def start_server(model_dir: Path, port: int, log: Path, *flags: str) -> subprocess.Popen:
    """Start ``python -m serve`` for ``model_dir`` on 127.0.0.1:``port`` with the tests' settings and
    ``flags`` (``serve.launcher``: own process group, ready once health answers 200); stopped at exit."""
    _install_cleanup()
    try:
        proc = launcher.start_server(["--model", str(model_dir), *TEST_FLAGS, *flags], port, log, START_TIMEOUT_S)
    except launcher.ServerStartError as err:
        raise AssertionError(str(err)) from None
    _started.append(proc)
    return proc
