"""Fixtures for the serving tests: a tiny random-weight model package built once per session."""

from __future__ import annotations

import gzip
import random
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path

import pytest
import sentencepiece as spm
import torch
from flask import Flask
from flask.testing import FlaskClient
from serve_testlib import REPO, free_loopback_port, start_server, stop_server

from serve.app import create_app, service_of
from serve.settings import Settings
from translator.config import DecodeConfig, ModelConfig
from translator.model import Seq2Seq
from translator.package import save_package
from translator.special import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from translator.tokenizer import Tokenizer
from translator.translate import Translator

DATA_DIRS = [REPO / "data" / "multi30k", REPO.parent / "shared" / "data" / "multi30k"]
SENTENCES = 400
SAMPLE_SOURCES = [
    "Ein Mann fährt Fahrrad.",
    "Zwei Hunde spielen im Schnee.",
    "Eine Frau in einem roten Kleid liest ein Buch.",
    "Kinder spielen auf der Straße.",
    "Ein Junge springt ins Wasser.",
    "Die Leute stehen vor einem Gebäude und warten.",
]


def _synthetic(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    subjects = ["Ein Mann", "Eine Frau", "Ein Kind", "Zwei Hunde", "Die Leute", "A man", "A woman", "Two dogs"]
    verbs = ["spielt", "läuft", "sitzt", "liest", "plays", "runs", "sits", "reads"]
    places = ["im Park", "auf der Straße", "im Schnee", "in the park", "on the street", "in the snow"]
    return [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(places)}." for _ in range(n)]


def training_sentences(n: int = SENTENCES) -> list[str]:
    """Real Multi30k lines (de and en) when a local copy exists, else synthetic ones."""
    for folder in DATA_DIRS:
        de, en = folder / "train.de.gz", folder / "train.en.gz"
        if de.is_file() and en.is_file():
            lines: list[str] = []
            for path in (de, en):
                with gzip.open(path, "rt", encoding="utf-8") as handle:
                    lines += [next(handle).strip() for _ in range(n // 2)]
            return lines + SAMPLE_SOURCES
    return _synthetic(n, seed=0) + SAMPLE_SOURCES


def build_tiny_package(out_dir: Path, work_dir: Path, vocab_size: int = 160) -> Path:
    """Train a small joint SentencePiece model and save a random-weight Seq2Seq as a package."""
    work_dir.mkdir(parents=True, exist_ok=True)
    corpus = work_dir / "corpus.txt"
    corpus.write_text("\n".join(training_sentences()) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(work_dir / "spm"),
        vocab_size=vocab_size,
        model_type="unigram",
        pad_id=PAD_ID,
        unk_id=UNK_ID,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    tokenizer = Tokenizer.load(work_dir)
    torch.manual_seed(0)
    model_cfg = ModelConfig(
        src_vocab_size=tokenizer.src_vocab_size,
        tgt_vocab_size=tokenizer.tgt_vocab_size,
        emb_dim=32,
        hidden_size=64,
        enc_layers=1,
        dec_layers=1,
        dropout=0.0,
        emb_dropout=0.0,
    )
    model = Seq2Seq(model_cfg).eval()
    config = {"name": "test", "model": asdict(model_cfg), "decode": asdict(DecodeConfig(beam_size=3))}
    meta = {"name": "test", "src_lang": "de", "tgt_lang": "en", "scores": {"bleu": 0.0}}
    return save_package(out_dir, model, tokenizer, config, meta)


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
def live_server(tiny_package: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """``python -m serve`` (gunicorn, two workers) on a free loopback port; yields the port, always stops it."""
    port = free_loopback_port()
    log = tmp_path_factory.mktemp("live-server") / "server.log"
    proc = start_server(tiny_package, port, log, "--workers", "2", "--threads", "8", "--max-body-bytes", "8192")
    try:
        yield port
    finally:
        stop_server(proc)
