"""Production serving with gunicorn: gthread workers, each loading the model once after the fork.

The master process never imports torch: :func:`check_model` loads the package in a short-lived
child process first, so a broken package stops start-up with one clear line instead of workers
crashing in a loop, and no OpenMP state is inherited across ``fork``. Each worker loads the app in
its ``init_process`` before accepting connections; if that still fails, gunicorn halts (boot error).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from serve.glossaries import load_glossaries
from serve.instances import instance_settings, run_instances
from serve.memory import limit_arenas
from serve.proxy import ProxyError, find_nginx, nginx_front
from serve.routing import Pair, describe_routes, pair_routes
from serve.settings import MULTIPROC_ENV, Settings, SettingsError
from translator.glossary import GlossaryError

CHECK_TIMEOUT_S = 600
# gunicorn's default access log line plus the request id the app answered with
ACCESS_LOG_FORMAT = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" request=%({x-request-id}o)s'
LOG_FORMAT = "%(asctime)s [%(process)d] [%(levelname)s] [request %(request_id)s] %(name)s: %(message)s"


def _child_exit(_server: Any, worker: Any) -> None:
    """gunicorn hook in the master: a worker exited, so its live metrics go (``serve.metrics``)."""
    from serve.metrics import worker_exited

    worker_exited(worker.pid)


def _log_with_request_ids() -> None:
    """The app's log lines (logger ``serve``) on stderr, each naming the request it belongs to."""
    import logging

    from serve.access import RequestIdFilter

    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("serve")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


@contextlib.contextmanager
def metrics_folder() -> Iterator[None]:
    """A fresh folder for prometheus-client's multiprocess mode, named in the environment before any worker
    starts (workers inherit it), removed at the end."""
    folder = tempfile.mkdtemp(prefix="translator-metrics-")
    previous = os.environ.get(MULTIPROC_ENV)
    os.environ[MULTIPROC_ENV] = folder
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop(MULTIPROC_ENV, None)
        else:
            os.environ[MULTIPROC_ENV] = previous
        shutil.rmtree(folder, ignore_errors=True)


class ModelLoadError(RuntimeError):
    """The model package cannot be loaded."""


def check_model(model_dir: str, quantize: str = "auto", device: str = "cpu") -> list[Pair]:
    """Load the packages (onto ``device``, quantized as asked, and translate one sentence with each) in a
    child process and return their language pairs in catalog order; raise ModelLoadError if it fails."""
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "serve.loadcheck", model_dir, quantize, device],
            capture_output=True,
            text=True,
            timeout=CHECK_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise ModelLoadError(f"loading the model from {model_dir} took longer than {CHECK_TIMEOUT_S} s") from None
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or proc.stdout).strip().splitlines() if line.strip()]
        raise ModelLoadError(lines[-1] if lines else f"loading {model_dir} failed (exit {proc.returncode})")
    rows = [line.split("\t") for line in proc.stdout.splitlines() if line.count("\t") == 1]
    return [(source, target) for source, target in rows]


class GunicornServer(BaseApplication):
    """Runs ``create_app(settings.model_dir, settings)`` in each gunicorn worker."""

    def __init__(self, settings: Settings, unix_socket: Path | None = None) -> None:
        self.settings = settings
        self.unix_socket = unix_socket  # behind nginx: bind this socket instead of HOST:PORT
        super().__init__()

    def load_config(self) -> None:
        """Map Settings onto gunicorn's config (no config file, no command-line parsing)."""
        s = self.settings
        address = f"[{s.host}]:{s.port}" if ":" in s.host else f"{s.host}:{s.port}"
        options = {
            "bind": [f"unix:{self.unix_socket}" if self.unix_socket else address],
            "workers": s.workers,
            "worker_class": "gthread",
            "threads": s.threads,
            "preload_app": False,
            "timeout": max(60, int(s.request_timeout_s) + 30),
            "graceful_timeout": 10,
            "keepalive": 5,
            "accesslog": "-" if s.access_log else None,
            "access_log_format": ACCESS_LOG_FORMAT,
            "child_exit": _child_exit,
            "errorlog": "-",
            "loglevel": "info",
            "proc_name": "translator-serve",
            "control_socket_disable": True,
            "limit_request_line": 8190,
            "max_requests": s.max_requests,
            "max_requests_jitter": s.max_requests // 10,
        }
        for key, value in options.items():
            if key in self.cfg.settings and value is not None:
                self.cfg.set(key, value)

    def load(self) -> Any:
        """Called in each worker: set torch's threads, then build the app (loads the model)."""
        import torch

        torch.set_num_threads(self.settings.torch_threads_per_worker)
        limit_arenas(2)  # before the request and decoding threads start (serve.memory)
        _log_with_request_ids()
        from serve.app import create_app

        return create_app(self.settings.model_dir, self.settings)


def run(settings: Settings) -> None:
    """Check the models and the keys file, then serve until interrupted (blocks): behind nginx when
    ``settings.proxy`` asks for it (``auto``: when installed), else gunicorn on HOST:PORT."""
    pairs = check_model(settings.model_dir, settings.quantize, settings.device)
    try:
        load_glossaries(settings.glossary_dir)  # a bad glossary file stops start-up, naming file and line
    except GlossaryError as err:
        raise SettingsError(str(err)) from None
    if settings.api_keys_file:
        from serve.access import load_keys

        load_keys(settings.api_keys_file)  # a missing or empty keys file stops start-up (SettingsError)
    binary = find_nginx() if settings.proxy != "none" else None
    if settings.proxy == "nginx" and binary is None:
        raise ProxyError("proxy is nginx but no nginx binary was found (install nginx, or set --proxy none)")
    if settings.route_pairs and binary is None:
        raise ProxyError("route_pairs needs nginx and no nginx binary was found (install nginx, or route_pairs false)")
    with metrics_folder():
        if binary is None:
            if settings.proxy == "auto":
                print(
                    "warning: nginx not found: gunicorn faces clients directly (slow clients hold its threads)",
                    file=sys.stderr,
                )
            GunicornServer(settings).run()
            return
        if settings.route_pairs and settings.workers > 1:
            _run_routed(settings, binary, pairs)
            return
        with nginx_front(settings, binary) as sockets:
            GunicornServer(settings, sockets[0]).run()


def _run_routed(settings: Settings, binary: str, pairs: list[Pair]) -> None:
    """One gunicorn instance per worker behind nginx, each pair's requests sent to one of them
    (``serve.routing``, ``serve.instances``); SystemExit with an instance's status if one fails."""
    routes = pair_routes(pairs, settings.workers)
    if len(routes) < settings.workers:
        print(
            f"warning: route_pairs with {len(routes)} routable pair(s) and {settings.workers} workers: "
            "some workers only get requests that name no pair",
            file=sys.stderr,
        )
    print(f"routing by pair: {describe_routes(routes)}", file=sys.stderr, flush=True)
    one = instance_settings(settings)
    with nginx_front(settings, binary, settings.workers, routes) as sockets:
        status = run_instances(lambda socket: GunicornServer(one, socket).run(), sockets)
    if status:
        raise SystemExit(status)
