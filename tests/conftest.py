"""Shared fixtures: one small real training run (Multi30k slice) reused by the package, CLI and
training tests, so the suite trains only once."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
MIRROR = Path(os.environ.get("MULTI30K_MIRROR", REPO.parent / "shared" / "data" / "multi30k"))

SMOKE_CONFIG = {
    "data": {"src_lang": "de", "tgt_lang": "en", "vocab_size": 300, "max_train_pairs": 800, "max_val_pairs": 60},
    "model": {"emb_dim": 32, "hidden_size": 64, "dropout": 0.1, "emb_dropout": 0.0},
    "train": {
        "batch_tokens": 800,
        "lr": 0.005,
        "warmup_steps": 20,
        "max_epochs": 2,
        "checkpoint_every_n_steps": 10,
        "keep_epoch_checkpoints": 2,
        "log_every_n_steps": 5,
        "precision": "32-true",
        "accelerator": "cpu",
    },
    "decode": {"beam_size": 1, "max_len_ratio": 1.2, "max_len_offset": 5},
}


@dataclass(frozen=True)
class TrainedRun:
    """A finished smoke training run: its working directory, config file and exported package."""

    workdir: Path
    config: Path
    package: Path
    exit_code: int


def require_mirror() -> Path:
    if not (MIRROR / "train.de.gz").is_file():
        pytest.skip(f"Multi30k mirror not found at {MIRROR} (set MULTI30K_MIRROR)")
    return MIRROR


@pytest.fixture(scope="session")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> TrainedRun:
    """Train the smoke config for two epochs in a temporary working directory, export, evaluate."""
    from training.train import main

    mirror = require_mirror()
    workdir = tmp_path_factory.mktemp("run")
    config = workdir / "smoke.yaml"
    config.write_text(yaml.safe_dump(SMOKE_CONFIG), encoding="utf-8")
    previous, env = Path.cwd(), os.environ.get("MULTI30K_MIRROR")
    os.environ["MULTI30K_MIRROR"] = str(mirror)
    os.chdir(workdir)
    try:
        code = main(["--config", str(config)])
    finally:
        os.chdir(previous)
        if env is None:
            os.environ.pop("MULTI30K_MIRROR", None)
        else:
            os.environ["MULTI30K_MIRROR"] = env
    return TrainedRun(workdir, config, workdir / "artifacts" / "smoke", code)


@pytest.fixture
def package_copy(trained_run: TrainedRun, tmp_path: Path) -> Path:
    """A private copy of the smoke package that a test may damage."""
    return Path(shutil.copytree(trained_run.package, tmp_path / "pkg"))
