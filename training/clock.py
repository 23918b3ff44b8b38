"""How long a run has trained, across resumed segments, and whether it has finished.

``TrainingClock`` is a stateful Lightning callback: its total (seconds of fitting, summed over every
segment of the run) is saved in each checkpoint and restored on resume, so ``train_seconds`` in the
package is the whole run's, not the last segment's. When a fit ends without interruption,
``runs/<name>/finished.json`` records the total and the stopping settings; ``make train`` on that run
again exports it without training (unless the config now asks for more epochs or steps, or ``--fresh``).
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl

from training.config import Config
from translator.files import atomic_write_text

FINISHED = "finished.json"


class TrainingClock(pl.Callback):
    """Seconds spent in ``fit``, summed over all segments of a run (``total``)."""

    def __init__(self) -> None:
        self.before = 0.0  # seconds of earlier segments (restored from the checkpoint)
        self.started: float | None = None

    @property
    def total(self) -> float:
        """Seconds of all segments so far, this one included."""
        return self.before + (time.monotonic() - self.started if self.started is not None else 0.0)

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.started = time.monotonic()

    def state_dict(self) -> dict[str, Any]:
        return {"train_seconds": self.total}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        self.before = float(state_dict.get("train_seconds", 0.0))


def stopping_settings(cfg: Config) -> dict[str, int]:
    """The settings that decide when a run stops: changing them (say, more epochs) trains on."""
    return {"max_epochs": cfg.train.max_epochs, "max_steps": cfg.train.max_steps, "patience": cfg.train.patience}


def write_finished(run: Path, cfg: Config, seconds: float, hardware: str, epochs: int) -> None:
    """Record that the run in ``run`` finished training."""
    record = {"train_seconds": round(seconds, 1), "hardware": hardware, "epochs": epochs, **stopping_settings(cfg)}
    atomic_write_text(run / FINISHED, json.dumps(record, indent=2))


def finished_record(run: Path, cfg: Config | None = None) -> dict[str, Any] | None:
    """The run's finished record; with ``cfg``, only if it stopped under the same stopping settings."""
    try:
        record = json.loads((run / FINISHED).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if cfg is not None and any(record.get(k) != v for k, v in stopping_settings(cfg).items()):
        return None
    return record
