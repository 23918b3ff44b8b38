"""Whether a run folder can be resumed with a config.

``make train`` resumes from ``runs/<name>/checkpoints/last.ckpt``. That is only right when the run was
trained with the same model and data settings: otherwise the checkpoint holds weights of other shapes
(or for another vocabulary) and resuming would either crash inside Lightning or silently continue a
different model. Training length, schedule, export settings and the test set (scored only after training) may change
between segments.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from training.config import Config, load_config
from training.paths import run_dir, shard_dir
from training.shards import changed_inputs
from training.sources import split_paths
from translator.config import ConfigError

# Filled in from the data (model), only saying where the files come from, or only scored after training (data):
# not compared.
IGNORED = {"model": {"src_vocab_size", "tgt_vocab_size"}, "data": {"mirror", "data_dir", "max_val_pairs", "test"}}


def changed_settings(saved: Config, cfg: Config) -> list[str]:
    """``section.key: saved -> requested`` for each model or data setting that differs."""
    changes = []
    for section in ("model", "data"):
        old, new = dataclasses.asdict(getattr(saved, section)), dataclasses.asdict(getattr(cfg, section))
        for key in old:
            if key not in IGNORED[section] and old[key] != new[key]:
                changes.append(f"{section}.{key}: {old[key]!r} -> {new[key]!r}")
    return changes


def check_resumable(cfg: Config, out: Path) -> None:
    """Raise ``ValueError`` when ``out`` (a run folder about to be resumed) was trained with other model or
    data settings than ``cfg``; nothing in ``out`` is touched."""
    saved_path = out / "config.yaml"
    if not saved_path.is_file():
        return
    try:
        saved = load_config(saved_path)
    except ConfigError as err:
        raise ValueError(f"cannot resume {out}: its config.yaml is unreadable ({err})") from None
    changes = changed_settings(saved, cfg)
    if changes:
        raise ValueError(
            f"{out} holds a run trained with other settings ({'; '.join(changes)}); resuming it would load "
            f"that model into this one. Move {out} away, give the config another file name, or pass --fresh "
            "to start over (which overwrites the run's checkpoints)."
        )


def check_inputs_unchanged(cfg: Config) -> None:
    """Raise ``ValueError`` when the run's training shards were encoded from files whose content has changed
    since (same paths, other SHA-256): resuming would train the saved model on a corpus its subword model was
    not trained on. Nothing in the run folder is touched."""
    paths = split_paths(cfg.data, "train")
    changed = changed_inputs(shard_dir(cfg), paths)
    if changed:
        raise ValueError(
            f"{run_dir(cfg)} was encoded from other versions of {', '.join(changed)}; resuming would continue "
            "a model trained on other data. Move the run folder away, give the config another file name, or "
            "pass --fresh to start over (which overwrites the run's checkpoints)."
        )
