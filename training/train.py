"""Entry point of ``make train``: fit (resuming from the last checkpoint), export the best
checkpoint to ``artifacts/<name>/`` and evaluate it on test_2016_flickr.

    python -m training.train --config configs/default.yaml [--accelerator cpu] [--devices 2] [--fresh]
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from contextlib import ExitStack
from pathlib import Path

import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import EarlyStopping, LearningRateMonitor, ModelCheckpoint
from pytorch_lightning.loggers import CSVLogger, TensorBoardLogger
from pytorch_lightning.utilities import rank_zero_only

from training.average import last_epochs, write_average
from training.clock import FINISHED, TrainingClock, finished_record, write_finished
from training.config import Config, config_yaml, load_config, save_config
from training.datamodule import TranslationDataModule
from training.evaluate import evaluate_split, split_name
from training.export import VAL_BEAM_KEY, export, scored_export, update_scores, with_vocab_sizes
from training.init_from import check_before_data
from training.module import VAL_BLEU_KEY, TranslationModule, recorded_val_bleu
from training.paths import averaged_checkpoint, best_checkpoint, checkpoint_dir, last_checkpoint, package_dir, run_dir
from training.resume import check_inputs_unchanged, check_resumable
from training.run_lock import run_lock
from training.step_options import step_options
from translator.config import ConfigError
from translator.errors import bad_input
from translator.translate import Translator


def resolve_vocab(cfg: Config, datamodule: TranslationDataModule) -> Config:
    """Fill the model's vocabulary sizes from the trained SentencePiece model(s)."""
    return with_vocab_sizes(cfg, datamodule.tokenizer)


def build_trainer(cfg: Config, out: Path) -> tuple[pl.Trainer, ModelCheckpoint]:
    """A Trainer with best-by-BLEU and periodic 'last' checkpoints, early stopping and two loggers."""
    train = cfg.train
    best = ModelCheckpoint(
        dirpath=checkpoint_dir(out),
        filename="best",
        monitor=VAL_BLEU_KEY,
        mode="max",
        save_top_k=1,
        enable_version_counter=False,
    )
    # last.ckpt every N steps (a killed run loses at most N steps) and at every epoch end
    epoch_end = ModelCheckpoint(dirpath=checkpoint_dir(out), filename="last", enable_version_counter=False)
    last = ModelCheckpoint(  # no version counter: a copied run trained on must not leave last.ckpt stale
        dirpath=checkpoint_dir(out),
        save_top_k=0,
        save_last=True,
        every_n_train_steps=train.checkpoint_every_n_steps,
        enable_version_counter=False,
    )
    callbacks = [
        best,
        last,
        epoch_end,
        EarlyStopping(VAL_BLEU_KEY, mode="max", patience=train.patience),
        TrainingClock(),
    ]
    if train.keep_epoch_checkpoints:  # the last N epochs' weights: "step" only grows, so top-k by step = last k
        callbacks.append(
            ModelCheckpoint(
                dirpath=checkpoint_dir(out),
                filename="epoch-{epoch:02d}",
                monitor="step",
                mode="max",
                save_top_k=train.keep_epoch_checkpoints,
                save_weights_only=True,
                auto_insert_metric_name=False,
            )
        )
    trainer = pl.Trainer(
        **step_options(cfg),
        max_epochs=train.max_epochs,
        max_steps=train.max_steps,
        check_val_every_n_epoch=train.val_every_n_epochs,
        log_every_n_steps=train.log_every_n_steps,
        callbacks=[*callbacks, LearningRateMonitor()],
        logger=[TensorBoardLogger(out, name="tensorboard"), CSVLogger(out, name="csv")],
        default_root_dir=out,
    )
    return trainer, best


@dataclasses.dataclass(frozen=True)
class FitResult:
    """What a finished fit leaves: resolved config, best checkpoint, its val BLEU, seconds of training (all
    segments; NaN when unknown), process rank and the hardware it trained on."""

    cfg: Config
    best_path: Path
    best_bleu: float
    seconds: float
    rank: int
    hardware: str | None = None


def hardware_name() -> str:
    """The GPU's name, or ``cpu xN`` (torch threads)."""
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"cpu x{torch.get_num_threads()}"


def fit(cfg: Config, fresh: bool = False, held: ExitStack | None = None) -> FitResult:
    """Train (resuming from runs/<name>/checkpoints/last.ckpt unless ``fresh``). With ``held``, the run
    folder's lock is taken into it once the checks have passed, before the first write."""
    pl.seed_everything(cfg.train.seed, workers=True)
    if cfg.train.threads > 0:
        torch.set_num_threads(cfg.train.threads)
    out = run_dir(cfg)
    last = last_checkpoint(out)
    resume = None if fresh or not last.is_file() else str(last)
    if resume:
        check_resumable(cfg, out)  # before anything in `out` is rewritten
        check_inputs_unchanged(cfg)
        if finished_record(out, cfg) is not None:
            _lock(out, held)
            print(
                f"{out} has finished training under these settings; exporting it without training "
                "(raise train.max_epochs or max_steps to train on, or pass --fresh to start over)",
                file=sys.stderr,
            )
            return existing_run(cfg)
    if cfg.train.init_from:
        check_before_data(cfg)  # a wrong package is refused before shards are built
    _lock(out, held)  # a second training of this run stops here, having written nothing
    datamodule = TranslationDataModule(cfg)
    datamodule.prepare_data()
    datamodule.setup("fit")
    cfg = resolve_vocab(cfg, datamodule)
    datamodule.cfg = cfg
    out.mkdir(parents=True, exist_ok=True)
    save_config(cfg, out / "config.yaml")
    (out / FINISHED).unlink(missing_ok=True)  # training on: the run is not finished until this fit ends
    trainer, best = build_trainer(cfg, out)
    if resume:
        print(f"resuming from {resume}", file=sys.stderr)
    trainer.fit(TranslationModule(cfg), datamodule=datamodule, ckpt_path=resume)
    seconds = next(cb for cb in trainer.callbacks if isinstance(cb, TrainingClock)).total
    if not trainer.interrupted and trainer.global_rank == 0:
        write_finished(out, cfg, seconds, hardware_name(), trainer.current_epoch)
    best_path = Path(best.best_model_path or best_checkpoint(out))
    if not best_path.is_file():
        raise RuntimeError(f"training produced no best checkpoint in {checkpoint_dir(out)}")
    return FitResult(cfg, best_path, recorded_val_bleu(best_path), seconds, trainer.global_rank, hardware_name())


def _lock(run: Path, held: ExitStack | None) -> None:
    if held is not None:
        held.enter_context(run_lock(run))


def existing_run(cfg: Config) -> FitResult:
    """The finished (or interrupted) run of ``cfg`` as a FitResult, for ``--export-only``: the run's
    saved config, with the decode settings and checkpoint averaging of ``cfg``."""
    out = run_dir(cfg)
    best_path = best_checkpoint(out)
    if not (out / "config.yaml").is_file() or not best_path.is_file():
        raise ValueError(f"no trained run in {out} (need config.yaml and checkpoints/best.ckpt)")
    saved = load_config(out / "config.yaml")  # data/model as trained; name and export settings as requested now
    averaging = {k: getattr(cfg.train, k) for k in ("keep_epoch_checkpoints", "average_last_epochs")}
    train = dataclasses.replace(saved.train, **averaging)
    resolved = dataclasses.replace(saved, name=cfg.name, train=train, decode=cfg.decode)
    record = finished_record(out) or {}
    seconds = float(record.get("train_seconds", float("nan")))  # NaN: the run never finished a fit
    rank = rank_zero_only.rank  # from the launcher's environment (torchrun, SLURM): only rank 0 exports
    return FitResult(resolved, best_path, recorded_val_bleu(best_path), seconds, rank, record.get("hardware"))


def export_source(result: FitResult) -> tuple[Path, dict]:
    """The checkpoint to export: best.ckpt, or with ``train.average_last_epochs`` N the average of the
    last N epoch checkpoints (written to ``checkpoints/averaged.ckpt``), and metadata saying which."""
    n = result.cfg.train.average_last_epochs
    if not n:
        return result.best_path, {}
    paths = last_epochs(run_dir(result.cfg), n)
    if not paths:
        raise ValueError(f"average_last_epochs is {n} but {run_dir(result.cfg)} holds no epoch checkpoints")
    out = write_average(paths, averaged_checkpoint(run_dir(result.cfg)))
    return out, {"averaged_from": [p.name for p in paths]}


def scoring_device(cfg: Config) -> str:
    """Where the finished package is scored: the GPU when training may use one and there is one (beam search
    of val and test in seconds), else the CPU."""
    return "cuda" if cfg.train.accelerator in ("auto", "gpu", "cuda") and torch.cuda.is_available() else "cpu"


def finish(result: FitResult, package: Path) -> None:
    """Export the best (or averaged) checkpoint, evaluate it on val and test_2016_flickr and record
    the scores in the package's metadata."""
    cfg = result.cfg
    extra = {}
    if not math.isnan(result.seconds):  # NaN: an interrupted run exported with --export-only
        extra = {"hardware": result.hardware, "train_seconds": round(result.seconds, 1)}
    source, averaged = export_source(result)
    export(cfg, source, package, {**extra, **averaged})
    translator = Translator.load(package, scoring_device(cfg))
    val = evaluate_split(cfg, package, "valid", translator)
    report = evaluate_split(cfg, package, "test", translator)
    best_bleu = None if math.isnan(result.best_bleu) else result.best_bleu  # JSON has no NaN
    scores = {VAL_BLEU_KEY: best_bleu, VAL_BEAM_KEY: val["bleu"], "val_chrf": val["chrf"]}
    if report is not None:
        keys = ("bleu", "chrf", "signature", "chrf_signature")
        scores[split_name(cfg, "test")] = {k: report[k] for k in keys}
    update_scores(package, scores)
    print(f"package: {package}" + (f" (average of {', '.join(averaged['averaged_from'])})" if averaged else ""))
    print(f"best validation BLEU during training (greedy): {result.best_bleu:.2f}")  # nan: not recorded
    print(f"val BLEU {val['bleu']:.2f}  chrF {val['chrf']:.2f}  (beam {cfg.decode.beam_size})")
    if report is None:
        print("no test set in the config (data.test): the package has validation scores only")
        return
    print(f"{report['split']} BLEU {report['bleu']:.2f}  chrF {report['chrf']:.2f}  (beam {cfg.decode.beam_size})")
    print(f"signature: {report['signature']}")
    print(f"chrF signature: {report['chrf_signature']}")


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Train, export and evaluate a translation model.")
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--accelerator", help="override train.accelerator (cpu, gpu, auto)")
    parser.add_argument("--devices", help="override train.devices (e.g. 2)")
    parser.add_argument("--threads", type=int, help="override train.threads (CPU threads, 0 = torch default)")
    parser.add_argument("--fresh", action="store_true", help="ignore an existing last checkpoint")
    parser.add_argument("--export-only", action="store_true", help="skip training: export and evaluate best.ckpt")
    parser.add_argument("--out", help="package directory (default artifacts/<config name>)")
    parser.add_argument(
        "--if-needed", action="store_true", help="skip when the package holds the scored export of the finished run"
    )
    parser.add_argument("--print-config", action="store_true", help="print the resolved config (bases merged) and stop")
    return parser.parse_args(argv)


def _with_overrides(cfg: Config, args: argparse.Namespace) -> Config:
    pairs = (("accelerator", args.accelerator), ("devices", args.devices), ("threads", args.threads))
    overrides = {k: v for k, v in pairs if v is not None}
    if str(overrides.get("devices", "")).isdigit():
        overrides["devices"] = int(overrides["devices"])
    return dataclasses.replace(cfg, train=dataclasses.replace(cfg.train, **overrides))


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        cfg = _with_overrides(load_config(args.config), args)
        if args.print_config:
            print(config_yaml(cfg), end="")
            return 0
        package = Path(args.out or package_dir(cfg))
        if args.if_needed and scored_export(cfg, package):
            print(f"{package}: trained and exported already")
            return 0
        with ExitStack() as held:  # the run's lock, from the first write to the end of the export
            if args.export_only:
                result = existing_run(cfg)
                _lock(run_dir(cfg), held)
            else:
                result = fit(cfg, args.fresh, held)
            if result.rank == 0:
                finish(result, package)
    except (ConfigError, ValueError, OSError) as err:
        return bad_input(err)
    return 0


if __name__ == "__main__":
    sys.exit(main())
