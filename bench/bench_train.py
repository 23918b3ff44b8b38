"""Training throughput of the config's model: target tokens/s and peak memory over fixed optimizer steps.

The timed step is the real one: ``training.module.TranslationModule``'s training step (label-smoothed
cross-entropy, logging), its optimizer and schedule, run by a Lightning ``Trainer`` with the options that
``make train`` uses (``training.step_options``: precision, gradient clipping, device). A callback
times each step from the batch's start to its end (forward, backward, clipping, update). Batches are real
token-bucketed ones of the training split (``BucketBatchSampler`` with the config's budgets and seed).
``bench.bench`` runs this module once per setting in a child process, so that the peak RSS belongs to that
setting alone, and reads the JSON object it prints last:

    python -m bench.bench_train --config configs/default.yaml --model artifacts/default --input-feeding true
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from training.config import Config, load_config
from training.datamodule import Batch, collate
from training.module import TranslationModule
from training.sampler import BucketBatchSampler
from training.shards import ShardDataset, build_shards
from training.sources import fetch_corpus, split_paths
from training.step_options import step_options
from translator.special import PAD_ID
from translator.tokenizer import Tokenizer


def training_batches(cfg: Config, tokenizer: Tokenizer, count: int) -> list[Batch]:
    """The first ``count`` batches of epoch 0 as training would draw them: the training split cleaned and
    encoded with ``tokenizer`` into shards in a temporary folder (the corpus is fetched if missing)."""
    data = cfg.data
    fetch_corpus(data)
    with tempfile.TemporaryDirectory() as work:
        folder = Path(work) / "train"
        build_shards(data, split_paths(data, "train"), tokenizer, folder)
        shards = ShardDataset(folder)
        sampler = BucketBatchSampler(
            shards.lengths[:, 1].astype("int32") + 1,
            batch_tokens=cfg.train.batch_tokens,
            max_sentences=cfg.train.max_batch_sentences,
            seed=cfg.train.seed,
            src_lengths=shards.lengths[:, 0],
        )
        batches = sampler.all_batches()
        if len(batches) < count:
            raise SystemExit(f"error: only {len(batches)} training batches; ask for fewer steps")
        return [collate(shards.__getitems__(positions)) for positions in batches[:count]]


class StepTimer(pl.Callback):
    """Seconds of every training step: from ``on_train_batch_start`` to ``on_train_batch_end`` (after the
    optimizer step), with the device synchronised at both ends."""

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.seconds: list[float] = []
        self._start = 0.0

    def on_train_batch_start(self, trainer: pl.Trainer, module: pl.LightningModule, batch: Any, index: int) -> None:
        sync(self.device)
        self._start = time.perf_counter()

    def on_train_batch_end(
        self, trainer: pl.Trainer, module: pl.LightningModule, outputs: Any, batch: Any, index: int
    ) -> None:
        sync(self.device)
        self.seconds.append(time.perf_counter() - self._start)


def run_steps(cfg: Config, batches: list[Batch], device: torch.device) -> list[float]:
    """Train ``cfg``'s model on ``batches`` in order, one optimizer step each -> seconds per step."""
    timer = StepTimer(device)
    options = {**step_options(cfg), "accelerator": device.type, "devices": 1, "strategy": "auto"}
    trainer = pl.Trainer(
        **options,
        max_steps=len(batches),
        max_epochs=1,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        callbacks=[timer],
    )
    loader = DataLoader(batches, batch_size=None, collate_fn=lambda batch: batch)  # type: ignore[arg-type]
    trainer.fit(TranslationModule(cfg), train_dataloaders=loader)
    return timer.seconds


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mib(device: torch.device) -> float:
    """GPU: peak allocated tensor memory; CPU: the process's peak resident set size (Linux: KiB)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(cfg: Config, tokenizer: Tokenizer, steps: int, warmup: int, repeats: int) -> dict[str, Any]:
    """Median target tokens/s over ``repeats`` passes over the same ``steps`` batches, after ``warmup`` steps."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    batches = training_batches(cfg, tokenizer, warmup + steps)
    warm, timed = batches[:warmup], batches[warmup:]
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    seconds = run_steps(cfg, warm + timed * repeats, device)[warmup:]
    tokens = sum(int((b.tgt_out != PAD_ID).sum()) for b in timed)
    rates = [tokens / sum(seconds[i * steps : (i + 1) * steps]) for i in range(repeats)]
    return {
        "input_feeding": cfg.model.input_feeding,
        "device": device.type,
        "precision": step_options(cfg)["precision"],
        "threads": torch.get_num_threads(),
        "parameters": TranslationModule(cfg).model.num_parameters(),
        "steps": steps,
        "warmup_steps": warmup,
        "target_tokens_per_step": round(tokens / steps, 1),
        "tokens_per_s": round(statistics.median(rates), 1),
        "runs_tokens_per_s": [round(r, 1) for r in rates],
        "peak_memory_mib": round(peak_memory_mib(device), 1),
        "peak_memory_kind": "cuda max_memory_allocated" if device.type == "cuda" else "process peak RSS",
        "step": "TranslationModule.training_step under pl.Trainer (training.step_options)",
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="Training throughput of one setting (prints one JSON object).")
    p.add_argument("--config", required=True)
    p.add_argument("--model", required=True, help="package whose tokenizer encodes the training data")
    p.add_argument("--input-feeding", choices=["true", "false"], required=True)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    args = p.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    cfg = load_config(args.config)
    tokenizer = Tokenizer.load(args.model)
    model = dataclasses.replace(
        cfg.model,
        src_vocab_size=tokenizer.src_vocab_size,
        tgt_vocab_size=tokenizer.tgt_vocab_size,
        input_feeding=args.input_feeding == "true",
    )
    cfg = dataclasses.replace(cfg, model=model)
    print(json.dumps(measure(cfg, tokenizer, args.steps, args.warmup, args.repeats)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
