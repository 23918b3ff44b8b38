"""Summarise training runs for the lever study: validation BLEU per epoch and wall-clock time.

    python -m experiments.runs runs/default runs/fr-en [--at-epoch 12] [--record]

Validation BLEU (greedy, as logged every epoch) comes from the CSV logs; the wall-clock time of each
epoch from the TensorBoard event timestamps, summed over resumed segments (``version_*``) so that
pauses between them are not counted. A finished run adds its own clock (``clock_seconds``, SIGTSTP pauses
left out too) and the hardware it trained on (``cpu xN``: its torch threads) from ``finished.json``.
``--at-epoch N`` also prints BLEU after N epochs, to compare
runs that trained for different lengths at equal cost.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

from experiments.record import append
from training.clock import finished_record
from translator.errors import bad_input


def val_bleu_by_epoch(run: Path) -> dict[int, float]:
    """epoch (0-based) -> validation BLEU, from every ``csv/version_*/metrics.csv`` (later wins)."""
    scores: dict[int, float] = {}
    files = sorted((run / "csv").glob("version_*/metrics.csv"), key=lambda p: int(p.parent.name.split("_")[1]))
    if not files:
        raise ValueError(f"{run}: no csv/version_*/metrics.csv (not a training run folder)")
    for path in files:
        with path.open(encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("val_bleu"):
                    scores[int(row["epoch"])] = float(row["val_bleu"])
    if not scores:
        raise ValueError(f"{run}: no validation BLEU logged yet (its first epoch has not finished)")
    return scores


def training_seconds(run: Path) -> float | None:
    """Seconds from the first to the last event of each TensorBoard segment, summed; None without logs."""
    try:
        from tensorboard.backend.event_processing.event_file_loader import EventFileLoader
    except ImportError:
        return None
    total, found = 0.0, False
    for events in sorted((run / "tensorboard").glob("version_*/events.out.tfevents.*")):
        times = [event.wall_time for event in EventFileLoader(str(events)).Load() if event.HasField("summary")]
        if times:
            total, found = total + max(times) - min(times), True
    return round(total, 1) if found else None


def summarise(run: Path, at_epoch: int | None) -> dict[str, Any]:
    scores = val_bleu_by_epoch(run)
    best_epoch = max(scores, key=lambda e: scores[e])
    summary: dict[str, Any] = {
        "kind": "train",
        "name": run.name,
        "config": str(run / "config.yaml"),
        "epochs": len(scores),
        "best_val_bleu_greedy": round(scores[best_epoch], 2),
        "best_epoch": best_epoch + 1,
        "val_bleu_by_epoch": [round(scores[e], 2) for e in sorted(scores)],
        "train_seconds": training_seconds(run),
    }
    finished = finished_record(run)  # the run's own clock (pauses left out) and what it trained on
    if finished is not None:
        summary["clock_seconds"] = finished.get("train_seconds")
        summary["hardware"] = finished.get("hardware")  # not this process's threads (record.append's default)
    if at_epoch is not None:
        summary[f"val_bleu_at_epoch_{at_epoch}"] = round(scores[at_epoch - 1], 2) if at_epoch - 1 in scores else None
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validation BLEU per epoch and training time of runs.")
    parser.add_argument("runs", nargs="+", help="runs/<name> folders")
    parser.add_argument("--at-epoch", type=int, help="also report the BLEU after this many epochs")
    parser.add_argument("--record", action="store_true", help="append the summaries to experiments/results.jsonl")
    args = parser.parse_args(argv)
    for run in map(Path, args.runs):
        try:
            summary = summarise(run, args.at_epoch)
        except (ValueError, OSError) as err:
            return bad_input(err)
        minutes = summary["train_seconds"] / 60 if summary["train_seconds"] else float("nan")
        extra = f"  at epoch {args.at_epoch}: {summary[f'val_bleu_at_epoch_{args.at_epoch}']}" if args.at_epoch else ""
        print(
            f"{run.name:16s} epochs {summary['epochs']:2d}  best val BLEU {summary['best_val_bleu_greedy']:5.2f} "
            f"(epoch {summary['best_epoch']})  {minutes:6.1f} min{extra}"
        )
        print("  val BLEU by epoch: " + " ".join(f"{b:.1f}" for b in summary["val_bleu_by_epoch"]))
        if args.record:
            append(summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
