"""The cheap path's rule: how ``experiments.alignment_recipe --continue-from`` turns a from-scratch template into
the continued training of a general package, and the command-line options that set it (``experiments.cheap_path``
takes the same options for its cheap rows).

Each direction continues a general package (``train.init_from``: its SentencePiece model and weights; the
template's model settings must be its own, dropouts aside) for ``--epochs`` epochs (default 2) on the recipe's
corpus and links: learning rate ``--lr-scale`` (default 0.5) times the template's, ``--warmup`` steps (default
100) of linear warm-up, then the template's inverse-square-root decay, and the last min(epochs, template's)
epochs averaged; ``--guided-weight`` replaces the template's guided-alignment weight and ``--dropout`` both of
its dropouts. ``--upsample``: the corpus read as two, Multi30k train (``--base-weight``, default 1) and the
pairs' text weighted the template's epochs / ``--epochs`` (``upsampled``), so that each new pair is drawn as
often as from scratch while the captions are read ``--epochs`` times; ``--new-weight W`` draws each new pair W
times an epoch instead.
"""

from __future__ import annotations

import argparse
import dataclasses
from dataclasses import dataclass
from pathlib import Path

from training.config import Config, TrainConfig
from training.corpus_config import CorpusFiles, TrainCorpus
from translator.config import ModelConfig


@dataclass(frozen=True)
class Continued:
    """The rule (module doc): the package to start from, epochs, learning-rate scale, warm-up, corpus weights."""

    start: Path
    epochs: int = 2
    lr_scale: float = 0.5
    warmup: int = 100
    upsample: bool = False  # the pairs' text weighted apart: each pair drawn as often as from scratch
    base_weight: float = 1.0  # with upsample: Multi30k train's weight (1: all of it each epoch)
    guided_weight: float | None = None  # train.guided_alignment_weight; None: the template's
    new_weight: float | None = None  # with upsample: the pairs' weight; None: template epochs / epochs
    dropout: float | None = None  # model.dropout and model.emb_dropout both; None: the template's

    def __post_init__(self) -> None:
        if self.new_weight is not None and not (self.upsample and self.new_weight > 0):
            raise ValueError("--new-weight needs --upsample and a weight above 0")
        if self.dropout is not None:  # the model's own check, before anything is written
            ModelConfig(dropout=self.dropout, emb_dropout=self.dropout)


def continued_config(cfg: Config, schedule: TrainConfig, continued: Continued) -> tuple[Config, TrainConfig]:
    """The template ``cfg`` and its ``schedule`` (seed already chosen) turned into the continued run's by the rule
    (its model's dropouts where ``--dropout`` is given; ``training.init_from`` lets only those differ)."""
    kept = min(cfg.train.keep_epoch_checkpoints, continued.epochs)
    schedule = dataclasses.replace(
        schedule, init_from=str(continued.start), max_epochs=continued.epochs,
        lr=cfg.train.lr * continued.lr_scale, warmup_steps=continued.warmup, keep_epoch_checkpoints=kept,
        average_last_epochs=min(cfg.train.average_last_epochs, kept),
    )  # fmt: skip
    if continued.guided_weight is not None:
        schedule = dataclasses.replace(schedule, guided_alignment_weight=continued.guided_weight)
    if continued.dropout is not None:
        model = dataclasses.replace(cfg.model, dropout=continued.dropout, emb_dropout=continued.dropout)
        cfg = dataclasses.replace(cfg, model=model)
    return cfg, schedule


def upsampled(cfg: Config, corpus: Path, data_dir: str, continued: Continued) -> tuple[TrainCorpus, TrainCorpus]:
    """The corpus as two: Multi30k train (``data_dir``, weight ``continued.base_weight``) then the pairs' text
    (``new.*``) weighted template epochs / continued epochs, so that over the continued run each new pair is
    drawn as often as in a from-scratch run of the template (the same pairs in the same order: the same eflomal
    links), or weighted ``continued.new_weight`` where that is given."""
    src, tgt = cfg.data.src_lang, cfg.data.tgt_lang
    base = CorpusFiles(src=str(Path(data_dir) / f"train.{src}"), tgt=str(Path(data_dir) / f"train.{tgt}"))
    new = CorpusFiles(src=str(corpus / f"new.{src}"), tgt=str(corpus / f"new.{tgt}"))
    new_weight = continued.new_weight or cfg.train.max_epochs / continued.epochs
    return TrainCorpus(base, weight=continued.base_weight), TrainCorpus(new, weight=new_weight)


def add_rule_options(p: argparse.ArgumentParser) -> list[argparse.Action]:
    """The cheap path's rule besides its epochs (``Continued``; ``experiments.cheap_path`` takes them too)
    -> the options added."""
    return [
        p.add_argument("--lr-scale", type=float, default=0.5, help="cheap path: learning rate, times the template's"),
        p.add_argument("--warmup", type=int, default=100, help="cheap path: warm-up steps"),
        p.add_argument(
            "--upsample",
            action="store_true",
            help="cheap path: each new pair drawn as often as from scratch (weighted)",
        ),
        p.add_argument(
            "--base-weight", type=float, default=1.0, help="cheap path, --upsample: Multi30k train's weight"
        ),
        p.add_argument(
            "--guided-weight", type=float, help="cheap path: guided_alignment_weight (default the template's)"
        ),
        p.add_argument(
            "--new-weight",
            type=float,
            help="cheap path, --upsample: the new pairs' weight (default template epochs / epochs)",
        ),
        p.add_argument(
            "--dropout", type=float, help="cheap path: dropout and emb_dropout both (default the template's)"
        ),
    ]


def continued_rule(args: argparse.Namespace, start: str | Path, epochs: int) -> Continued:
    """The cheap path's rule of ``add_rule_options``' options, continuing ``start`` for ``epochs`` (checked)."""
    return Continued(
        Path(start), epochs, args.lr_scale, args.warmup, args.upsample, args.base_weight, args.guided_weight,
        args.new_weight, args.dropout,
    )  # fmt: skip
