"""Where an experiment's outputs live, relative to the working directory."""

from __future__ import annotations

from pathlib import Path

from training.config import Config


def run_dir(cfg: Config) -> Path:
    """``runs/<cfg.name>``: checkpoints, logs and the subword models of one experiment."""
    return Path("runs") / cfg.name


def spm_dir(cfg: Config) -> Path:
    """``runs/<cfg.name>/spm``: the SentencePiece model files."""
    return run_dir(cfg) / "spm"


def shard_dir(cfg: Config) -> Path:
    """``runs/<cfg.name>/shards/train``: the encoded training pairs (``training.shards``)."""
    return run_dir(cfg) / "shards" / "train"
