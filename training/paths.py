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


def checkpoint_dir(run: Path) -> Path:
    """``<run>/checkpoints``: best.ckpt, last.ckpt, the kept epoch checkpoints and their average."""
    return run / "checkpoints"


def best_checkpoint(run: Path) -> Path:
    """``<run>/checkpoints/best.ckpt``: the weights of the best validation BLEU."""
    return checkpoint_dir(run) / "best.ckpt"


def last_checkpoint(run: Path) -> Path:
    """``<run>/checkpoints/last.ckpt``: where a killed run resumes."""
    return checkpoint_dir(run) / "last.ckpt"


def averaged_checkpoint(run: Path) -> Path:
    """``<run>/checkpoints/averaged.ckpt``: the average of the last epoch checkpoints."""
    return checkpoint_dir(run) / "averaged.ckpt"


def eval_dir(cfg: Config) -> Path:
    """``runs/<cfg.name>/eval``: hypotheses and score reports of ``training.evaluate``."""
    return run_dir(cfg) / "eval"


def package_dir(cfg: Config) -> Path:
    """``artifacts/<cfg.name>``: the exported model package (unless ``--out`` names another)."""
    return Path("artifacts") / cfg.name
