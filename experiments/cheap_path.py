"""The alignment recipe's cheap path against training from scratch: AER of the recipe's links on pairs with
gold against the seconds both directions trained, from scratch and continued from the general packages for a
few epochs, several samples (seeds) of each.

    python -m experiments.cheap_path --pairs dev.src-tgt --gold dev.gold [--more-pairs test.src-tgt ...]
        [--name wpt03-all] [--epochs 1 2 4] [--samples 2] [--general-only]
        [--upsample] [--base-weight B] [--new-weight W] [--lr-scale S] [--warmup N] [--guided-weight G] [--label L]

``make cheap-path`` runs it on the WPT pairs (``make general-aligners`` only its first step). Steps, each
resumable (the recipe's steps are):

1. the general packages: ``configs/align/general-en-fr.yaml`` and ``general-fr-en.yaml`` (the recipe's templates,
   guided by eflomal's intersection links over Multi30k en-fr train alone), into ``artifacts/general-en-fr`` and
   ``-fr-en``. They are trained once and shipped, so their time is not part of a new set's cost.
2. from scratch: the recipe as ``<name>`` (sample 1, the template's seed) and ``<name>-s<k>`` (sample k, seed
   + k - 1);
3. the cheap path: ``--continue-from`` the general packages as ``<name>-cont<E>`` and ``<name>-cont<E>-s<k>``
   (``--upsample``, the new pairs weighted to be drawn as often as from scratch: ``<name>-up<E>``...; ``--label L``:
   ``<name>-L<E>``...; every path's first sample first, then the continued paths' later samples, from scratch's
   last), by the recipe's rule options (``--lr-scale``, ``--warmup``, ``--base-weight``, ``--new-weight``,
   ``--guided-weight``, ``--dropout``: ``experiments.cheap_rule``);
4. the table: per run, AER, precision and recall of its links on the gold pairs and the training seconds of both
   directions (``runs/<run>-en-fr/finished.json`` plus ``-fr-en``; eflomal's links, about a minute a direction,
   are not counted); per path the mean of its samples; and the goal (``verdict``): the mean AER of a cheap row
   within ``--within`` (1.0) of the from-scratch mean, at ``--time-share`` (1/4) of its mean time or less.
   One ``cheap path`` row per run goes to ``experiments/results.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path
from statistics import mean

from experiments.alignment_recipe import add_run_options, checked_inputs, train_direction
from experiments.alignment_recipe import parser as recipe_parser
from experiments.alignment_recipe import run as run_recipe
from experiments.cheap_rule import add_rule_options, continued_rule
from experiments.record import append
from training.clock import finished_record
from training.config import load_config
from translator.errors import status_of

CONFIGS = Path(__file__).resolve().parents[1] / "configs" / "align"
GENERAL = (CONFIGS / "general-en-fr.yaml", CONFIGS / "general-fr-en.yaml")
ATTENTION = "attention, both directions, mean mutual"  # the recipe's row of its own links


@dataclass(frozen=True)
class Arm:
    """One recipe run of the study: its path (``scratch`` or ``cont<E>``), sample number and run name."""

    path: str
    sample: int
    name: str
    epochs: int | None = None  # continued epochs; None: from scratch


@dataclass(frozen=True)
class Measured:
    """An arm's AER, precision and recall (%) on the gold pairs and both directions' training seconds."""

    arm: Arm
    aer: float
    precision: float
    recall: float
    seconds: float


def arms(name: str, epochs: list[int], samples: int, prefix: str = "cont") -> list[Arm]:
    """First sample of every path (from scratch, then each continued length; sample 1 keeps the bare name), then
    the continued paths' later samples, then from scratch's: a study stopped half way still compares every path,
    and a from-scratch sample, costlier than all continued ones together, comes last."""
    paths = [("scratch", None), *((f"{prefix}{e}", e) for e in epochs)]
    found = []
    for k in range(1, samples + 1):
        for path, length in paths:
            stem = name if length is None else f"{name}-{path}"
            found.append(Arm(path, k, stem if k == 1 else f"{stem}-s{k}", length))
    return sorted(found, key=lambda arm: (arm.sample > 1 and arm.epochs is None, arm.sample))


def train_seconds(run_name: str) -> float:
    """Seconds both directions of a finished recipe run trained (their ``finished.json``)."""
    total = 0.0
    for direction in ("en-fr", "fr-en"):
        record = finished_record(Path("runs") / f"{run_name}-{direction}")
        if record is None:
            raise RuntimeError(f"runs/{run_name}-{direction} has not finished training")
        total += float(record["train_seconds"])
    return total


def measure(args: argparse.Namespace, arm: Arm, general: list[Path], seed: int) -> Measured:
    """Run (or resume, or only score) the recipe for one arm (sample k: ``seed`` + k - 1) -> its scores and
    training time."""
    argv = ["--pairs", args.pairs, "--gold", args.gold, "--name", arm.name, "--data-dir", args.data_dir]
    argv += ["--more-pairs", *args.more_pairs] if args.more_pairs else []
    argv += ["--forward-template", args.forward_template, "--backward-template", args.backward_template]
    argv += ["--no-record"] if args.no_record else []
    argv += ["--threads", str(args.threads)] if args.threads is not None else []
    argv += ["--seed", str(seed + arm.sample - 1)]
    if arm.epochs is not None:
        argv += ["--continue-from", *map(str, general), "--epochs", str(arm.epochs), *rule_argv(args)]
    scores = run_recipe(recipe_parser().parse_args(argv))
    assert scores is not None  # --gold was given
    got = scores[ATTENTION]
    return Measured(arm, 100 * got.aer, 100 * got.precision, 100 * got.recall, train_seconds(arm.name))


def rule_argv(args: argparse.Namespace) -> list[str]:
    """The cheap rows' rule as the recipe's options, read off ``cheap_rule.add_rule_options`` itself (so an
    option added there reaches the cheap rows with no list to keep in step here): flags that are set, values
    that are not None."""
    argv: list[str] = []
    for action in add_rule_options(argparse.ArgumentParser(add_help=False)):
        value, flag = getattr(args, action.dest), action.option_strings[0]
        if action.nargs == 0:  # a flag (--upsample)
            argv += [flag] if value else []
        elif value is not None:
            argv += [flag, str(value)]
    return argv


def verdict(scratch: list[Measured], cheap: list[Measured], within: float, time_share: float) -> tuple[bool, str]:
    """Does the cheap path's sample mean meet the goal against the from-scratch mean? -> (met, one line)."""
    aer_gap = mean(m.aer for m in cheap) - mean(m.aer for m in scratch)
    share = mean(m.seconds for m in cheap) / mean(m.seconds for m in scratch)
    met = aer_gap <= within and share <= time_share
    line = f"AER {aer_gap:+.2f} against from scratch at {share:.3f} of its time"
    return met, f"{line}: {'meets' if met else 'misses'} the goal (<= {within:+.2f} AER at <= {time_share:.3f})"


def report(measured: list[Measured], within: float, time_share: float) -> None:
    """Print every run, then each path's mean and, for each cheap path, its verdict."""
    print("| path | sample | run | AER % | precision % | recall % | training s |")
    print("| --- | ---: | --- | ---: | ---: | ---: | ---: |")
    for m in measured:
        row = f"| {m.arm.path} | {m.arm.sample} | {m.arm.name} | {m.aer:.2f} | {m.precision:.2f} | {m.recall:.2f}"
        print(f"{row} | {m.seconds:.0f} |")
    by_path: dict[str, list[Measured]] = {}
    for m in measured:
        by_path.setdefault(m.arm.path, []).append(m)
    print("\n| path | samples | mean AER % | mean training s | verdict |\n| --- | ---: | ---: | ---: | --- |")
    for path, group in by_path.items():
        said = "" if path == "scratch" else verdict(by_path["scratch"], group, within, time_share)[1]
        aer, seconds = mean(m.aer for m in group), mean(m.seconds for m in group)
        print(f"| {path} | {len(group)} | {aer:.2f} | {seconds:.0f} | {said} |")


def run(args: argparse.Namespace) -> None:
    """Every step of the study (module doc); the pairs, gold and templates are checked before any training."""
    if not args.general_only:
        checked_inputs(args)
    general = [train_direction(config, args.threads) for config in args.general]
    if args.general_only:
        return
    seed = args.seed if args.seed is not None else load_config(args.forward_template).train.seed
    studied = arms(args.name, args.epochs, args.samples, args.label or ("up" if args.upsample else "cont"))
    measured = [measure(args, arm, general, seed) for arm in studied]
    report(measured, args.within, args.time_share)
    if not args.no_record:
        for m in measured:
            scores = {"aer": m.aer / 100, "precision": m.precision / 100, "recall": m.recall / 100}
            append({"kind": "alignment", "name": f"cheap path {m.arm.name}", "path": m.arm.path,
                    "sample": m.arm.sample, **scores, "train_seconds": m.seconds, "gold": args.gold})  # fmt: skip


def parser() -> argparse.ArgumentParser:
    """The study's command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pairs", help="the pairs to align: 'english ||| french' lines (required unless --general-only)")
    p.add_argument("--name", default="cheap-study", help="run name of the from-scratch sample 1 (others add to it)")
    add_run_options(p)
    p.add_argument("--epochs", type=int, nargs="+", default=[1, 2, 4], help="continued epochs of each cheap row")
    p.add_argument("--samples", type=int, default=2, help="samples (seeds) of every row")
    add_rule_options(p)  # the cheap rows' rule
    p.add_argument("--label", help="the cheap rows' name: <name>-<label><E> (default cont, or up with --upsample)")
    p.add_argument("--general", nargs=2, type=Path, default=list(GENERAL), help="configs of the general packages")
    p.add_argument("--general-only", action="store_true", help="train the general packages and stop")
    p.add_argument("--within", type=float, default=1.0, help="goal: cheap mean AER at most this above scratch's")
    p.add_argument("--time-share", type=float, default=0.25, help="goal: cheap mean time at most this share")
    return p


def main(argv: list[str] | None = None) -> int:
    p = parser()
    args = p.parse_args(argv)
    if not args.general_only and not (args.pairs and args.gold):
        p.error("--pairs and --gold are required unless --general-only")
    if args.samples < 1 or any(e < 1 for e in args.epochs):
        p.error("--samples and --epochs must be >= 1")
    try:
        continued_rule(args, ".", 1)
    except ValueError as err:
        p.error(str(err))
    return status_of(lambda: run(args), (ValueError, OSError, RuntimeError))


if __name__ == "__main__":
    sys.exit(main())
