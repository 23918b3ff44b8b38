"""The real gunicorn server on a free loopback port: concurrent answers equal the library's, bad requests
do not disturb good ones, and a broken model stops start-up with a clear message."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from serve_testlib import REPO, http_request

from translator.translate import Translator

TEXTS = ["Ein Mann fährt Fahrrad.", "Zwei Hunde spielen im Schnee.", "Kinder spielen.", "Eine Frau liest.", " "]


def _translate(port: int, text: str, beam: int) -> dict:
    status, _, data = http_request(
        port, "POST", "/v1/translate", json.dumps({"text": text, "beam_size": beam}).encode()
    )
    assert status == 200, data
    return json.loads(data)["translations"][0]


def _hostile(port: int, case: int) -> int:
    bodies = [b"{bad", b'{"text": "\xff"}', b'{"text": 1}', b"x" * 10_000, b'{"text": "a", "beam_size": 99}']
    if case == len(bodies):
        return http_request(port, "POST", "/v1/translate", b'{"text": "a"}', ctype="text/plain")[0]
    return http_request(port, "POST", "/v1/translate", bodies[case])[0]


def test_concurrent_requests_match_library(live_server: int, translator: Translator) -> None:
    jobs = [(text, beam) for beam in (1, 3) for text in TEXTS] * 2
    with ThreadPoolExecutor(12) as pool:
        hostile = [pool.submit(_hostile, live_server, case) for case in range(6)]
        answers = list(pool.map(lambda job: _translate(live_server, *job), jobs))
        statuses = [f.result() for f in hostile]
    assert statuses == [400, 400, 400, 413, 400, 415]
    for (text, beam), item in zip(jobs, answers, strict=True):
        ref = translator.translate([text], beam_size=beam)[0]
        assert item["translation"] == ref.text and item["target_tokens"] == ref.target_tokens
        assert item["score"] == pytest.approx(ref.score, abs=1e-4)
        for row, ref_row in zip(item["alignment"], ref.alignment, strict=True):
            assert row == pytest.approx(ref_row, abs=1e-5)
    status, ctype, data = http_request(live_server, "GET", "/nope")
    assert status == 404 and ctype.startswith("application/json") and b"Traceback" not in data
    assert http_request(live_server, "GET", "/")[0] == 200


def test_broken_model_stops_startup(tmp_path: Path, free_port: int) -> None:
    (tmp_path / "metadata.json").write_text("{}")
    cmd = [sys.executable, "-m", "serve", "--model", str(tmp_path), "--port", str(free_port)]
    result = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: cannot load model package"), result.stderr
    assert "not a model package" in lines[0] and "Traceback" not in result.stderr
    bad = subprocess.run([*cmd[:-2], "--port", "http"], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "invalid setting" in bad.stderr


def test_double_slash_paths_are_a_404_not_a_redirect(live_server: int) -> None:
    """Werkzeug would answer "/v1//health" with a 308 whose Location is built from the Host header."""
    conn = http.client.HTTPConnection("127.0.0.1", live_server, timeout=30)
    try:
        conn.request("GET", "/v1//health", headers={"Host": "evil.example"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    assert response.status == 404 and response.getheader("Location") is None, (response.status, body)
    assert json.loads(body)["error"].startswith("no such path")
