"""Shared fixtures: one small real training run (Multi30k slice) reused by the package, CLI and
training tests, so the suite trains only once; random source batches; and an independent
teacher-forced scorer that search results are checked against."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import torch
import yaml

from translator.model import Seq2Seq
from translator.special import BOS_ID, EOS_ID, PAD_ID

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


def _random_batch(lengths: list[int], vocab: int, seed: int = 7) -> tuple[torch.Tensor, torch.Tensor]:
    """Random source ids (B, S) from the non-special ids of ``vocab``, padded to the longest, and src_len (B,)."""
    gen = torch.Generator().manual_seed(seed)
    src_len = torch.tensor(lengths)
    src = torch.randint(EOS_ID + 1, vocab, (len(lengths), max(lengths)), generator=gen)
    src[torch.arange(max(lengths)).unsqueeze(0) >= src_len.unsqueeze(1)] = PAD_ID  # (B, S) past each length
    return src, src_len


@pytest.fixture
def make_batch() -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """``make_batch(lengths, vocab, seed=7)`` -> a random padded source batch (src (B, S), src_len (B,))."""
    return _random_batch


def _forced_pass(
    models: list[Seq2Seq], src: torch.Tensor, tokens: list[int], forced_eos: bool
) -> tuple[torch.Tensor, torch.Tensor]:
    """The log-probability of each of ``tokens`` and of the EOS after them (T + 1,) for one unpadded source
    src (1, S), by the models' whole-sequence forward pass, independently of search: the members'
    log-probabilities are averaged and renormalised (as an ensemble decodes) and the EOS costs nothing when
    ``forced_eos`` (search ends a hypothesis that reached its maximum length that way). Also the attention
    rows of the tokens (len(tokens), S), averaged over the models."""
    tgt_in = torch.tensor([[BOS_ID, *tokens]])  # (1, T + 1)
    gold = torch.tensor([*tokens, EOS_ID])  # (T + 1,)
    src_len = torch.tensor([src.size(1)])
    with torch.inference_mode():
        outputs = [model(src, src_len, tgt_in) for model in models]
    log_probs = torch.stack([torch.log_softmax(logits[0].float(), -1) for logits, _ in outputs]).mean(0)
    log_probs = torch.log_softmax(log_probs, -1)  # (T + 1, V)
    picked = log_probs.gather(1, gold.unsqueeze(1)).squeeze(1)  # (T + 1,)
    if forced_eos:
        picked[-1] = 0.0
    attention = torch.stack([attn[0, : len(tokens)].float() for _, attn in outputs]).mean(0)
    return picked, attention


def _teacher_forced(
    models: list[Seq2Seq], src: torch.Tensor, tokens: list[int], forced_eos: bool, alpha: float
) -> tuple[float, torch.Tensor]:
    """Score ``tokens`` (+ EOS) as ``_forced_pass`` does, the sum divided by the GNMT length penalty.

    Returns the score and the attention rows of the tokens (len(tokens), S), averaged over the models."""
    picked, attention = _forced_pass(models, src, tokens, forced_eos)
    penalty = ((5.0 + len(tokens) + 1) / 6.0) ** alpha
    return float(picked.sum()) / penalty, attention


@pytest.fixture
def teacher_forced() -> Callable[..., tuple[float, torch.Tensor]]:
    """``teacher_forced(models, src (1, S), tokens, forced_eos, alpha)`` -> (score, attention (T, S))."""
    return _teacher_forced


@pytest.fixture
def forced_pass() -> Callable[..., tuple[torch.Tensor, torch.Tensor]]:
    """``forced_pass(models, src (1, S), tokens, forced_eos)`` -> (piece log-probs with EOS (T + 1,), attention)."""
    return _forced_pass
