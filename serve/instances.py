"""Several gunicorn instances under one server process (``route_pairs``): one per worker, each on its own socket.

nginx can only pick one of several upstream sockets, not one of the workers behind a single socket, so pair
routing (``serve.routing``) needs a gunicorn master per worker. The server process forks one child per
instance; each child runs its own gunicorn master with one worker bound to its Unix socket. The parent only
supervises: SIGTERM or SIGINT is passed on to every instance (each stops gracefully), and when an instance
exits by itself (its worker could not boot, or it was killed) the others are stopped too and the server
exits with that status, so a server never half-runs. Each child gets SIGTERM if the parent dies.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from serve.proxy import die_with_parent
from serve.settings import Settings

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def instance_settings(settings: Settings) -> Settings:
    """One instance's settings: one worker, with the intra-op threads and decode slots that one of the
    ``settings.workers`` workers would have had (those defaults divide the cores by the workers)."""
    return dataclasses.replace(
        settings,
        workers=1,
        torch_threads=settings.torch_threads_per_worker,
        decode_slots=settings.decode_slots_per_worker,
    )


def _exit_status(exc: SystemExit) -> int:
    if exc.code is None:
        return 0
    return exc.code if isinstance(exc.code, int) else 1


def _fork(serve_one: Callable[[Path], None], socket: Path) -> int:
    """Fork a child that runs ``serve_one(socket)`` and exits with its status; returns the child's pid."""
    pid = os.fork()
    if pid:
        return pid
    status = 1
    try:
        die_with_parent()
        serve_one(socket)
        status = 0
    except SystemExit as exc:  # gunicorn halts with sys.exit (status 3: a worker failed to boot)
        status = _exit_status(exc)
    except BaseException:  # noqa: BLE001 - reported here, since the child must never return to the caller
        traceback.print_exc()
    finally:
        os._exit(status)


def run_instances(serve_one: Callable[[Path], None], sockets: Sequence[Path]) -> int:
    """Run ``serve_one(socket)`` in one forked child per socket until all have exited; returns 0 when they
    were stopped by a signal to this process, else the status of the first child that exited by itself."""
    children = {_fork(serve_one, socket): socket for socket in sockets}
    stopping = False
    status = 0

    def stop(_signum: int | None = None, _frame: object = None) -> None:
        nonlocal stopping
        stopping = True
        for pid in list(children):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)

    previous = {sig: signal.signal(sig, stop) for sig in STOP_SIGNALS}
    try:
        while children:
            pid, raw = os.wait()
            if children.pop(pid, None) is None:
                continue  # another child of this process (nginx)
            if not stopping:
                code = os.waitstatus_to_exitcode(raw)  # < 0: killed by signal -code
                status = code if code > 0 else 128 - code if code < 0 else 1
                print(f"error: gunicorn instance {pid} exited (status {status}); stopping the server", file=sys.stderr)
                stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return status
