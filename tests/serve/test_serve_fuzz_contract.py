"""The published API contract, machine-checked: schemathesis (the registry's OpenAPI fuzzer) runs every one
of its checks against a real server (gunicorn, and nginx in front where it is installed, as in CI). Among
them: no 5xx, every answer inside its declared schema, every schema-valid request accepted, every invalid
one refused, and undeclared methods answered 405 with ``Allow``. Seeded and capped so that it is short and
repeatable; a failure prints schemathesis' own report with a curl command that reproduces it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

CONFIG = Path(__file__).with_name("schemathesis.toml")
SEED = 1
MAX_EXAMPLES = 20  # per API operation and phase


def test_schemathesis_finds_no_contract_fault(live_server: int, tmp_path: Path) -> None:
    st = Path(sys.executable).with_name("st")
    command = [
        str(st),
        "--config-file",
        str(CONFIG),
        "run",
        f"http://127.0.0.1:{live_server}/v1/openapi.json",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--generation-database",
        "none",
        "--request-timeout",
        "60",
    ]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "No issues found" in done.stdout
