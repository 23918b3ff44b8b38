"""Export a Lightning checkpoint to a self-contained model package (see ``translator.package``).

    python -m training.export --config runs/NAME/config.yaml --checkpoint runs/NAME/checkpoints/best.ckpt \
        --out artifacts/NAME [--int8]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import pickle
import platform
import subprocess
import sys
from pathlib import Path
from typing import Any

import torch

from training.average import last_epochs
from training.clock import finished_record
from training.config import Config, load_config
from training.multi30k import resolve_mirror
from training.paths import run_dir
from translator.config import to_dict
from translator.errors import bad_input
from translator.files import atomic_write_text
from translator.model import Seq2Seq
from translator.package import METADATA, PackageError, read_metadata, save_package
from translator.tokenizer import Tokenizer


def git_commit() -> str:
    """The current commit hash (with ``+dirty`` when the tree has changes), or ``unknown``."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], capture_output=True, text=True, check=True).stdout
        return head + ("+dirty" if dirty.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


class CheckpointMismatchError(ValueError):
    """A checkpoint's weights do not fit the model its config describes."""


def with_vocab_sizes(cfg: Config, tokenizer: Tokenizer) -> Config:
    """``cfg`` with the model's vocabulary sizes taken from the run's trained SentencePiece model(s)."""
    sizes = {"src_vocab_size": tokenizer.src_vocab_size, "tgt_vocab_size": tokenizer.tgt_vocab_size}
    return dataclasses.replace(cfg, model=dataclasses.replace(cfg.model, **sizes))


def load_checkpoint_model(cfg: Config, ckpt_path: str | Path) -> Seq2Seq:
    """Rebuild the model from a Lightning checkpoint (weights under the ``model.`` prefix); weights of
    other shapes or names than ``cfg.model`` describes are a CheckpointMismatchError."""
    try:
        state = torch.load(ckpt_path, map_location="cpu", weights_only=False)["state_dict"]
    except (pickle.UnpicklingError, EOFError, KeyError, TypeError, RuntimeError) as err:
        raise CheckpointMismatchError(f"{ckpt_path} is not a Lightning checkpoint ({type(err).__name__})") from None
    model = Seq2Seq(cfg.model)
    try:
        model.load_state_dict({k.removeprefix("model."): v for k, v in state.items() if k.startswith("model.")})
    except RuntimeError as err:
        first = str(err).split("\n\t")[1:2] or [str(err)]
        raise CheckpointMismatchError(f"{ckpt_path} does not fit the config's model: {first[0]}") from None
    return model.eval()


def training_data(cfg: Config) -> dict[str, Any]:
    """What the package was trained and validated on, for its metadata: Multi30k's splits, or the config's own
    corpora (``files``: as the config names them, local paths that the server does not show)."""
    described = {"mirror": resolve_mirror(cfg.data), "max_train_pairs": cfg.data.max_train_pairs}
    if cfg.data.train is None:
        return {"corpus": "Multi30k task 1 (raw)", "train_split": "train", "validation_split": "val", **described}
    data = to_dict(cfg)["data"]
    files = {split: data[split] for split in ("train", "valid") if data[split] is not None}
    return {"corpus": "own corpora", "files": files, **described}


def export(cfg: Config, ckpt_path: str | Path, out_dir: str | Path, extra: dict[str, Any] | None = None) -> Path:
    """Write ``out_dir`` from the checkpoint, the run's SentencePiece model(s) and the config with the
    vocabulary sizes of those models."""
    tokenizer = Tokenizer.load(run_dir(cfg) / "spm")
    cfg = with_vocab_sizes(cfg, tokenizer)
    model = load_checkpoint_model(cfg, ckpt_path)
    config = to_dict(cfg)
    config["train"]["betas"] = list(config["train"]["betas"])
    metadata = {
        "name": cfg.name,
        "src_lang": cfg.data.src_lang,
        "tgt_lang": cfg.data.tgt_lang,
        "training_data": training_data(cfg),
        "checkpoint": Path(ckpt_path).name,
        "commit": git_commit(),
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "torch": torch.__version__,
        "host": platform.node(),
        "scores": {},
    }
    metadata.update(extra or {})
    return save_package(out_dir, model, tokenizer, config, metadata)


VAL_BEAM_KEY = "val_bleu_beam"  # the package's val BLEU with its decode settings, the last score an export writes


def scored_export(cfg: Config, package: Path) -> bool:
    """Is ``package`` the scored export of ``cfg``'s finished run? The run finished under ``cfg``'s stopping
    settings and the package, intact, holds that run's training seconds, the checkpoint ``cfg`` asks to export
    (best, or the average of the last ``average_last_epochs`` epochs) and its val score (a package whose
    scoring was killed, one of an earlier, shorter run, or one averaged otherwise, is not)."""
    record = finished_record(run_dir(cfg), cfg)
    try:
        meta = read_metadata(package)
    except PackageError:
        return False
    trained = record is not None and meta.get("train_seconds") == record["train_seconds"]
    asked = [path.name for path in last_epochs(run_dir(cfg), cfg.train.average_last_epochs)]
    return trained and meta.get("averaged_from", []) == asked and VAL_BEAM_KEY in meta.get("scores", {})


def update_scores(package_dir: str | Path, scores: dict[str, Any]) -> None:
    """Merge ``scores`` into the package's metadata.json (the one file not covered by its hashes)."""
    path = Path(package_dir) / METADATA
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.setdefault("scores", {}).update(scores)
    atomic_write_text(path, json.dumps(meta, indent=2, sort_keys=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Export a checkpoint to a model package.")
    parser.add_argument("--config", required=True)
    parser.add_argument("--checkpoint", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--int8",
        action="store_true",
        help='mark the package "quantization": "int8": Translator.load applies dynamic int8 (CPU) at load time '
        "(the weights stay fp32)",
    )
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        if not Path(args.checkpoint).is_file():
            raise FileNotFoundError(f"checkpoint not found: {args.checkpoint}")
        out = export(cfg, args.checkpoint, args.out, {"quantization": "int8"} if args.int8 else None)
    except (ValueError, OSError) as err:  # ConfigError, TokenizerError, CheckpointMismatchError, files
        return bad_input(err)
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
