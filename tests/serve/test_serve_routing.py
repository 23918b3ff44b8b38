"""Pair routing (``route_pairs``): nginx sends each pair's requests to one gunicorn instance.

The hash keys are checked against nginx itself (three stand-in upstreams that answer their own index), the
routing of the real server by which worker answered each pair (the per-worker request gauges), and the
supervision of the instances by stopping and killing them."""

from __future__ import annotations

import json
import os
import signal
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from serve_testlib import free_loopback_port, http_exchange, serving, start_server, stop_server

from bench.serve_load import parent_pids
from serve import settings as settings_module
from serve.instances import instance_settings
from serve.proxy import find_nginx, nginx_front
from serve.routing import nginx_peer, pair_routes, route_key
from serve.server import check_model
from serve.settings import Settings, SettingsError

needs_nginx = pytest.mark.skipif(find_nginx() is None, reason="needs nginx (the CI installs it)")
PAIRS = [("de", "en"), ("en", "fr"), ("fr", "en"), ("en", "de")]


def test_route_keys_hash_to_their_instance() -> None:
    for instances in (1, 2, 3, 5):
        assert [nginx_peer(route_key(i, instances), instances) for i in range(instances)] == list(range(instances))


def test_pairs_go_to_instances_in_turn() -> None:
    assert pair_routes(PAIRS, 2) == {("de", "en"): 0, ("en", "fr"): 1, ("fr", "en"): 0, ("en", "de"): 1}
    assert pair_routes([("pt-BR", "en"), ("zh-Hant", "en")], 3) == {("pt-BR", "en"): 0, ("zh-Hant", "en"): 1}


def test_an_instance_keeps_the_threads_and_slots_of_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(settings_module, "_cores", lambda: 8)
    two = Settings(workers=2, route_pairs=True)
    one = instance_settings(two)
    assert (one.workers, one.decode_slots_per_worker, one.torch_threads_per_worker) == (1, 4, 1)
    assert instance_settings(Settings(workers=4, torch_threads=0)).torch_threads_per_worker == 2


def test_route_pairs_needs_nginx() -> None:
    with pytest.raises(SettingsError, match="route_pairs needs nginx"):
        Settings(route_pairs=True, proxy="none")


def test_the_model_check_names_the_pairs_in_catalog_order(pair_packages: Path) -> None:
    assert check_model(str(pair_packages)) == [("de", "en"), ("en", "fr")]


class _Index(BaseHTTPRequestHandler):
    """Answers every request with its server's index (``server.index``)."""

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = str(self.server.index).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


class _UnixServer(HTTPServer):
    address_family = socket.AF_UNIX

    def server_bind(self) -> None:
        self.socket.bind(self.server_address)

    def get_request(self):  # noqa: ANN201 - (connection, address)
        return self.socket.accept()[0], ("unix", 0)


def post_raw(port: int, body: dict | str) -> str:
    data = body if isinstance(body, str) else json.dumps(body)
    status, _, answer = http_exchange(port, "POST", "/v1/translate", data.encode())
    assert status == 200
    return answer.decode()


@needs_nginx
def test_nginx_sends_each_pair_to_its_instance_and_the_rest_in_turn() -> None:
    routes = pair_routes(PAIRS, 3)
    port = free_loopback_port()
    settings = Settings(model_dir="unused", port=port)
    with nginx_front(settings, find_nginx() or "", 3, routes) as sockets:
        servers = [_UnixServer(str(path), _Index) for path in sockets]
        for index, server in enumerate(servers):
            server.index = index  # type: ignore[attr-defined]
            threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            for (source, target), instance in routes.items():
                bodies = [
                    {"text": "x", "source": source, "target": target},
                    f'{{ "target" : "{target}",\n "text": "x", "source":"{source}" }}',
                ]
                assert [post_raw(port, body) for body in bodies for _ in range(3)] == [str(instance)] * 6
            unrouted = [post_raw(port, {"text": "x"}) for _ in range(6)]
            assert set(unrouted) == {"0", "1", "2"}  # in turn
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()


def _worker_requests(port: int) -> dict[str, float]:
    status, _, data = http_exchange(port, "GET", "/metrics")
    assert status == 200
    return {
        sample.labels["pid"]: sample.value
        for family in text_string_to_metric_families(data.decode())
        for sample in family.samples
        if sample.name == "translator_worker_requests"
    }


def _answered_by(port: int, body: dict, count: int) -> str:
    """Post ``body`` ``count`` times; the pid of the worker that answered them all (each /metrics read is
    one more request for whichever worker answers it, so the others may grow by one)."""
    before = _worker_requests(port)
    for _ in range(count):
        assert http_exchange(port, "POST", "/v1/translate", json.dumps(body).encode())[0] == 200
    after = _worker_requests(port)
    grown = {pid: value - before.get(pid, 0.0) for pid, value in after.items()}
    busy = [pid for pid, delta in grown.items() if delta >= count]
    assert len(busy) == 1 and all(delta <= 1 for pid, delta in grown.items() if pid != busy[0]), grown
    return busy[0]


@pytest.fixture(scope="module")
def routed_server(pair_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    log = tmp_path_factory.mktemp("routed") / "server.log"
    with serving(pair_packages, log, "--workers", "2", "--threads", "4", "--route-pairs", "true") as port:
        yield port


@needs_nginx
def test_each_pair_is_answered_by_one_worker(routed_server: int) -> None:
    de_en = _answered_by(routed_server, {"text": "Zwei Hunde spielen.", "source": "de", "target": "en"}, 8)
    en_fr = _answered_by(routed_server, {"text": "Two dogs play.", "source": "en", "target": "fr"}, 8)
    assert de_en != en_fr
    assert _answered_by(routed_server, {"text": "Ein Hund.", "source": "de", "target": "en"}, 4) == de_en


@needs_nginx
def test_a_request_nginx_cannot_route_is_answered_all_the_same(routed_server: int) -> None:
    escaped = '{"text": "Zwei Hunde.", "source": "\\u0064e", "target": "en", "beam_size": 1}'
    for _ in range(4):  # whichever instance gets it
        status, _, data = http_exchange(routed_server, "POST", "/v1/translate", escaped.encode())
        assert status == 200 and json.loads(data)["model"]["src_lang"] == "de"
    status, _, data = http_exchange(routed_server, "POST", "/v1/translate", b'{"text": "x"}')
    assert status == 400 and "name the pair" in json.loads(data)["error"]


def _gunicorn_masters(pid: int) -> list[int]:
    """The server process's gunicorn instances (its children other than nginx)."""
    children = [child for child, parent in parent_pids().items() if parent == pid]
    return [child for child in children if b"nginx" not in Path(f"/proc/{child}/cmdline").read_bytes()]


@needs_nginx
def test_sigterm_stops_every_instance_and_a_dead_instance_stops_the_server(pair_packages: Path, tmp_path: Path) -> None:
    flags = ("--workers", "2", "--threads", "2", "--route-pairs", "true")
    proc = start_server(pair_packages, free_loopback_port(), tmp_path / "a.log", *flags)
    masters = _gunicorn_masters(proc.pid)
    assert len(masters) == 2
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in masters)

    proc = start_server(pair_packages, free_loopback_port(), tmp_path / "b.log", *flags)
    try:
        first, second = _gunicorn_masters(proc.pid)
        os.kill(first, signal.SIGKILL)
        assert proc.wait(30) != 0
        assert "stopping the server" in (tmp_path / "b.log").read_text()
        assert not Path(f"/proc/{second}").exists()
    finally:
        stop_server(proc)
