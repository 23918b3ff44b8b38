"""Fixtures for the serving tests: a tiny random-weight model package built once per session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import torch
from flask import Flask
from flask.testing import FlaskClient
from serve_testlib import free_loopback_port, serving
from tiny_package import build_tiny_package

from serve.app import create_app, service_of
from serve.settings import Settings
from translator.translate import Translator


@pytest.fixture(autouse=True)
def one_torch_thread() -> Iterator[None]:
    """Decode with one intra-op thread (OpenMP threads spin badly on a shared 2-core machine); restore after."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="session")
def tiny_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory of a tiny model package (random weights: translations are gibberish but deterministic)."""
    root = tmp_path_factory.mktemp("serve-model")
    return build_tiny_package(root / "package", root / "spm")


@pytest.fixture(scope="session")
def translator(tiny_package: Path) -> Translator:
    """The library's own translator for the tiny package (the reference for API answers)."""
    return Translator.load(tiny_package)


@pytest.fixture(scope="session")
def settings() -> Settings:
    """Small limits so that the limit tests stay cheap."""
    return Settings(max_text_chars=200, max_texts=8, max_body_bytes=4096, max_beam=8, max_wait_ms=2.0)


@pytest.fixture(scope="session")
def app(translator: Translator, settings: Settings) -> Iterator[Flask]:
    """One app for the whole session (its batcher thread is stopped at the end)."""
    application = create_app(translator, settings)
    yield application
    service_of(application).close()


@pytest.fixture()
def client(app: Flask) -> FlaskClient:
    """A Flask test client."""
    return app.test_client()


@pytest.fixture()
def free_port() -> int:
    """A currently free TCP port on 127.0.0.1."""
    return free_loopback_port()


@pytest.fixture(scope="session")
def pair_packages(tiny_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of two packages: de->en (the tiny package) and en->fr (other weights)."""
    root = tmp_path_factory.mktemp("pairs")
    shutil.copytree(tiny_package, root / "all" / "de-en")
    build_tiny_package(root / "all" / "en-fr", root / "spm-fr", pair=("en", "fr"), seed=1)
    return root / "all"


@pytest.fixture(scope="session")
def pairs_live_server(pair_packages: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``python -m serve`` over the two-package folder (one worker) on a free loopback port."""
    log = tmp_path_factory.mktemp("pairs-server") / "server.log"
    with serving(pair_packages, log, "--workers", "1", "--threads", "8") as port:
        yield port


@pytest.fixture(scope="session")
def live_server(tiny_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``python -m serve`` (gunicorn, two workers) on a free loopback port; yields the port, always stops it."""
    log = tmp_path_factory.mktemp("live-server") / "server.log"
    with serving(tiny_package, log, "--workers", "2", "--threads", "8", "--max-body-bytes", "8192") as port:
        yield port
