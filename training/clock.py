"""How long a run has trained, across resumed segments, and whether it has finished.

``TrainingClock`` is a stateful Lightning callback: its total (seconds of fitting, summed over every
segment of the run) is saved in each checkpoint and restored on resume, so ``train_seconds`` in the
package is the whole run's, not the last segment's. When a fit ends without interruption,
``runs/<name>/finished.json`` records the total and the stopping settings; ``make train`` on that run
again exports it without training (unless the config now asks for more epochs or steps, or ``--fresh``).

A run paused with SIGTSTP (``kill -TSTP <pid>``, or Ctrl-Z in its terminal) stops as it would by default and
resumes on SIGCONT (``kill -CONT``, ``fg``); the time it stood still is not counted. ``kill -STOP`` also
pauses it, but uncounted: the clock cannot see it.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any

import pytorch_lightning as pl

from training.config import Config
from translator.files import atomic_write_text

FINISHED = "finished.json"


def stop_this_process() -> None:
    """Stop this process as SIGTSTP's default would; returns once it is continued (SIGCONT)."""
    os.kill(os.getpid(), signal.SIGSTOP)


class TrainingClock(pl.Callback):
    """Seconds spent in ``fit``, summed over all segments of a run (``total``), less the pauses (SIGTSTP)."""

    def __init__(self, now: Callable[[], float] = time.monotonic, stop: Callable[[], None] = stop_this_process) -> None:
        self.before = 0.0  # seconds of earlier segments (restored from the checkpoint)
        self.started: float | None = None
        self.paused = 0.0  # seconds this segment stood still
        self._now, self._stop = now, stop
        self._handler: Any = None  # SIGTSTP's handler before the fit, put back at its end

    @property
    def total(self) -> float:
        """Seconds of all segments so far, this one included, pauses left out."""
        if self.started is None:
            return self.before
        return self.before + self._now() - self.started - self.paused

    def pause(self, signum: int | None = None, frame: FrameType | None = None) -> None:
        """SIGTSTP's handler: stop the process, and count the time until it is continued as a pause."""
        at = self._now()
        self._stop()
        self.paused += self._now() - at

    def on_fit_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.started, self.paused = self._now(), 0.0
        if threading.current_thread() is threading.main_thread() and hasattr(signal, "SIGTSTP"):
            self._handler = signal.signal(signal.SIGTSTP, self.pause)

    def on_fit_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self._restore_handler()

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self._restore_handler()

    def _restore_handler(self) -> None:
        if self._handler is not None:
            signal.signal(signal.SIGTSTP, self._handler)
            self._handler = None

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
