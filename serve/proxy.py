"""nginx in front of gunicorn: slow and malformed clients never reach a request thread.

gunicorn's threads read a request themselves, so a client that sends its headers or body a byte at a time
holds a thread for as long as it likes: a few dozen such connections stop a server. gunicorn's own
deployment advice is a buffering proxy, and that is what ``python -m serve`` starts (``proxy: auto`` when
the ``nginx`` binary is installed, ``nginx`` to require it, ``none`` to bind gunicorn directly):

- nginx listens on HOST:PORT, reads each whole request (header and body, ``client_timeout_s`` each, else
  the connection is closed) and only then passes it to gunicorn on a Unix socket in a private temporary
  folder; it holds at most ``max_connections`` connections, one event-driven process for all of them;
- requests nginx rejects itself (a bad Content-Length, both Content-Length and chunked, headers or a URL
  over its buffers, a body over ``max_body_bytes``) and an unavailable app answer the API's JSON errors,
  not HTML pages.
"""

from __future__ import annotations

import contextlib
import ctypes
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

from serve.routing import Pair, nginx_route_maps
from serve.settings import Settings

NGINX_CANDIDATES = ("nginx", "/usr/sbin/nginx")
START_TIMEOUT_S = 10.0
PR_SET_PDEATHSIG = 1
# status -> JSON error nginx answers itself (it never passes these requests to the app)
ERRORS = {
    400: "malformed HTTP request",
    408: "the request was not received in time",
    405: "the method is not allowed here",
    413: "the request body is too large",
    414: "the URL is too long",
    494: "the request headers are too large",
    502: "the service is not available; try again shortly",
    504: "the service did not answer in time",
}
ALLOWED_METHODS = "GET, HEAD, OPTIONS, POST"  # every method some path of the API answers
STATUS_HEADERS = {  # headers nginx adds to its own errors: when to retry; which methods there are (TRACE refused)
    503: "add_header Retry-After 5 always; ",
    405: f'add_header Allow "{ALLOWED_METHODS}" always; ',
}
PUBLIC_STATUS = {494: 400, 502: 503}  # nginx's internal codes -> what the client gets


class ProxyError(RuntimeError):
    """nginx is missing (with ``proxy: nginx``) or could not start."""


def find_nginx() -> str | None:
    """The nginx binary, or None."""
    for candidate in NGINX_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    return None


def _error_pages() -> str:
    """``error_page`` to internal URIs (a named location cannot serve errors met in a malformed request line)."""
    lines = []
    for status, message in ERRORS.items():
        shown = PUBLIC_STATUS.get(status, status)
        headers = STATUS_HEADERS.get(shown, "")
        lines.append(f"    error_page {status} /_errors/{status};")
        lines.append(
            f"    location = /_errors/{status} {{ internal; default_type application/json; {headers}"
            "add_header X-Request-ID $rid always; "
            f'return {shown} \'{{"error": "{message}"}}\\n\'; }}'
        )
    return "\n".join(lines)


def _upstream(sockets: Sequence[Path], routes: dict[Pair, int] | None) -> str:
    """The ``upstream app`` block: the sockets in turn, or (``routes``) hashed by ``$route_key`` (``serve.routing``);
    a routed instance that cannot be reached is never marked down (``max_fails=0``: the request is retried on
    the next one, the next request tries it again), so an instance still starting costs no later routing."""
    if routes is None:
        servers = " ".join(f"server unix:{sock};" for sock in sockets)
        return f"  upstream app {{ {servers} keepalive 32; }}"
    servers = " ".join(f"server unix:{sock} max_fails=0;" for sock in sockets)
    return f"{nginx_route_maps(routes, len(sockets))}\n  upstream app {{ hash $route_key; {servers} keepalive 32; }}"


def nginx_config(
    settings: Settings, port: int, upstreams: Sequence[Path], work: Path, routes: dict[Pair, int] | None = None
) -> str:
    """The nginx configuration: listen on ``settings.host``:``port``, forward to the Unix sockets ``upstreams``
    (in turn, or by language pair with ``routes``: pair -> index in ``upstreams``, see ``serve.routing``);
    pid and temporary files under ``work``. The worker runs as this process's user (nginx started by root
    would otherwise drop to ``nobody``, who cannot reach the private socket; without root it is ignored)."""
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    t = f"{max(1, round(settings.client_timeout_s * 1000))}ms"
    temp = "\n".join(
        f"  {kind}_temp_path {work / kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    user = f"{pwd.getpwuid(os.getuid()).pw_name} {grp.getgrgid(os.getgid()).gr_name}"
    return f"""daemon off;
user {user};
worker_processes 1;
pid {work / "nginx.pid"};
error_log stderr error;
events {{ worker_connections {settings.max_connections + 64}; }}
http {{
  access_log off;
  server_tokens off;
{temp}
  client_header_timeout {t};
  client_body_timeout {t};
  send_timeout {t};
  keepalive_timeout 5s;
  reset_timedout_connection on;
  client_max_body_size {settings.max_body_bytes};
  client_header_buffer_size 1k;
  large_client_header_buffers 4 8k;
  limit_conn_zone $server_name zone=all:1m;
  map $http_x_request_id $rid {{ "~^[A-Za-z0-9._-]{{1,64}}$" $http_x_request_id; default $request_id; }}
{_upstream(upstreams, routes)}
  server {{
    listen {host}:{port} backlog=1024;
    limit_conn all {settings.max_connections};
    limit_conn_status 503;
    error_page 503 /_errors/502;
    merge_slashes off;
    location / {{
      proxy_pass http://app;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $http_host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_set_header X-Request-ID $rid;
      proxy_request_buffering on;
      proxy_read_timeout {int(settings.request_timeout_s) + 30}s;
      proxy_intercept_errors off;
    }}
{_error_pages()}
  }}
}}
"""


def die_with_parent() -> None:
    """In a child process (nginx before exec, a gunicorn instance after fork): SIGTERM when the server
    process dies, so the child never outlives it."""
    if sys.platform.startswith("linux"):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)


def _wait_started(proc: subprocess.Popen, work: Path, host: str, port: int) -> None:
    """Wait until nginx has bound its socket (it writes its pid file after that), polling with a deadline."""
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise ProxyError(
                f"nginx could not start on {host}:{port} (exit status {proc.returncode}; its message is above)"
            )
        if (work / "nginx.pid").is_file():
            return
        time.sleep(0.05)
    raise ProxyError(f"nginx did not start on {host}:{port} within {START_TIMEOUT_S:.0f} s")


def _check_port_free(host: str, port: int) -> None:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
            probe.listen()
        except OSError as err:
            raise ProxyError(f"cannot listen on {host}:{port}: {err.strerror}") from None


def free_port(host: str) -> int:
    """A free TCP port on ``host`` (for ``port: 0``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def nginx_front(
    settings: Settings, binary: str, instances: int = 1, routes: dict[Pair, int] | None = None
) -> Iterator[list[Path]]:
    """Run nginx on the settings' address for the duration of the block; yields the Unix socket paths that
    the gunicorn instances must bind (one per instance; ``routes`` as in ``nginx_config``). nginx is stopped
    (gracefully, then killed) when the block ends."""
    work = Path(tempfile.mkdtemp(prefix="translator-serve-"))
    port = settings.port or free_port(settings.host)
    _check_port_free(settings.host, port)
    upstreams = [work / f"app-{i}.sock" for i in range(instances)]
    config = nginx_config(settings, port, upstreams, work, routes)
    (work / "nginx.conf").write_text(config, encoding="utf-8")
    proc = subprocess.Popen(
        [binary, "-p", str(work), "-c", str(work / "nginx.conf"), "-e", "stderr"],
        stdout=subprocess.DEVNULL,
        preexec_fn=die_with_parent,  # stderr: the server's own (nginx logs errors only)
    )
    try:
        _wait_started(proc, work, settings.host, port)
        shown = ", ".join(map(str, upstreams))
        print(f"nginx front: listening at http://{settings.host}:{port} -> {shown}", file=sys.stderr, flush=True)
        yield upstreams
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGQUIT)  # graceful: finish the requests in flight
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(work, ignore_errors=True)
