"""Continued training: a run that starts from a model package instead of random weights.

With ``train.init_from: PACKAGE``, the run uses the package's SentencePiece model(s) as they are (copied into
``runs/<name>/spm``; none is trained, so the new text is read with the general model's pieces) and starts from
its weights; the config's model settings must be the package's (vocabulary sizes come from the same
SentencePiece models), except the dropout rates, which shape training and not the weights (fine-tuning often
lowers them). The language pair must be the package's too. Resuming a killed run starts from its own
last checkpoint, as any run does.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import torch

from training.config import Config
from translator.config import ConfigError
from translator.package import Package, load_package
from translator.tokenizer import JOINT_MODEL, SRC_MODEL, TGT_MODEL, Tokenizer


def install_tokenizer(package: str | Path, spm_dir: Path) -> Tokenizer:
    """Copy the package's SentencePiece model(s) into ``spm_dir`` (removing the other layout's files)."""
    source = Tokenizer.load(package)
    spm_dir.mkdir(parents=True, exist_ok=True)
    for stale in (JOINT_MODEL, SRC_MODEL, TGT_MODEL):
        (spm_dir / stale).unlink(missing_ok=True)
    for path in source.files():
        shutil.copyfile(path, spm_dir / path.name)
    return Tokenizer.load(spm_dir)


VOCAB_SETTINGS = ("src_vocab_size", "tgt_vocab_size")  # filled in from the SentencePiece models the run reads
FREE_SETTINGS = ("dropout", "emb_dropout")  # regularisation only: a continued run may choose its own


def checked_package(cfg: Config, ignore: tuple[str, ...] = ()) -> Package:
    """The package of ``cfg.train.init_from``, checked against ``cfg``: ConfigError when its language pair or a
    model setting (except ``FREE_SETTINGS`` and those in ``ignore``) differs."""
    package = load_package(str(cfg.train.init_from))
    meta = package.metadata
    pair = (meta.get("src_lang"), meta.get("tgt_lang"))
    if pair != (cfg.data.src_lang, cfg.data.tgt_lang):
        raise ConfigError(
            f"train.init_from translates {pair[0]}->{pair[1]}, not {cfg.data.src_lang}->{cfg.data.tgt_lang}"
        )
    ours, theirs = dataclasses.asdict(cfg.model), dataclasses.asdict(package.model_cfg)
    differ = sorted(k for k in ours if k not in (*FREE_SETTINGS, *ignore) and ours[k] != theirs.get(k))
    if differ:
        settings = ", ".join(f"{k}: {theirs.get(k)!r} there, {ours[k]!r} here" for k in differ)
        raise ConfigError(f"train.init_from's model settings differ ({settings})")
    return package


def check_before_data(cfg: Config) -> None:
    """Refuse a package of another pair or other model settings before any data is read or encoded (the
    vocabulary sizes, known only once the run's SentencePiece models are in place, are checked by
    ``initial_state``)."""
    checked_package(cfg, ignore=VOCAB_SETTINGS)


def initial_state(cfg: Config) -> dict[str, torch.Tensor]:
    """The weights of ``cfg.train.init_from`` (ConfigError when its model settings or language pair differ)."""
    return checked_package(cfg).model.state_dict()
