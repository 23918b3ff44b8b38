"""Training throughput of the config's model: target tokens/s and peak memory over fixed optimizer steps.

Real token-bucketed batches of the training split (``BucketBatchSampler`` with the config's budgets and
seed), the training loss (label-smoothed cross-entropy per target token), AdamW, gradient clipping and
the precision ``training.train.resolve_precision`` picks (bf16 autocast on bf16-capable CPUs and GPUs).
``bench/bench.py`` runs this file once per setting in a child process, so that the peak RSS belongs to
that setting alone, and reads the JSON object it prints last:

    python bench/bench_train.py --config configs/default.yaml --model artifacts/default --input-feeding true
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import resource
import statistics
import sys
import time
from typing import Any

import torch
import torch.nn.functional as F

from training.config import Config, load_config
from training.corpus import load_pairs, prepare_corpus
from training.datamodule import Batch, BucketBatchSampler, collate, encode_train
from training.train import resolve_precision
from translator.model import Seq2Seq
from translator.tokenizer import Tokenizer


def training_batches(cfg: Config, tokenizer: Tokenizer, count: int) -> list[Batch]:
    """The first ``count`` batches of epoch 0 as training would draw them (fetches the corpus if missing)."""
    data = cfg.data
    pairs = load_pairs(prepare_corpus(data), "train", data.src_lang, data.tgt_lang, limit=data.max_train_pairs)
    examples = encode_train(pairs, tokenizer, data.max_len)
    sampler = BucketBatchSampler(
        [len(tgt) + 1 for _, _, tgt in examples],
        batch_tokens=cfg.train.batch_tokens,
        max_sentences=cfg.train.max_batch_sentences,
        seed=cfg.train.seed,
        src_lengths=[len(src) for _, src, _ in examples],
    )
    batches = sampler.all_batches()
    if len(batches) < count:
        raise SystemExit(f"error: only {len(batches)} training batches; ask for fewer steps")
    return [collate([examples[i] for i in positions]) for positions in batches[:count]]


def autocast(precision: str, device: torch.device) -> contextlib.AbstractContextManager:
    """The autocast context of a Lightning precision string (``32-true``: none)."""
    if precision.startswith("bf16"):
        return torch.autocast(device.type, dtype=torch.bfloat16)
    if precision.startswith("16"):
        return torch.autocast(device.type, dtype=torch.float16)
    return contextlib.nullcontext()


class Trainer:
    """One model with its optimizer; ``step`` is one optimizer step exactly as in training."""

    def __init__(self, cfg: Config, device: torch.device, precision: str) -> None:
        train = cfg.train
        self.cfg, self.device, self.precision = cfg, device, precision
        self.model = Seq2Seq(cfg.model).to(device).train()
        self.optimizer = torch.optim.AdamW(
            self.model.parameters(), lr=train.lr, betas=tuple(train.betas), weight_decay=train.weight_decay
        )
        self.scaler = torch.amp.GradScaler(device.type, enabled=precision.startswith("16"))

    def step(self, batch: Batch) -> None:
        """Forward (under autocast), loss, backward, clip, update. batch: src (B, S), tgt_in/tgt_out (B, T)."""
        pad = self.cfg.model.pad_id
        with autocast(self.precision, self.device):
            logits, _ = self.model(batch.src, batch.src_len, batch.tgt_in)
            gold = batch.tgt_out.reshape(-1)
            loss = F.cross_entropy(
                logits.reshape(-1, logits.size(-1)).float(),
                gold,
                ignore_index=pad,
                label_smoothing=self.cfg.train.label_smoothing,
                reduction="sum",
            ) / (gold != pad).sum().clamp(min=1)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.unscale_(self.optimizer)
        torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.cfg.train.grad_clip)
        self.scaler.step(self.optimizer)
        self.scaler.update()


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def peak_memory_mib(device: torch.device) -> float:
    """GPU: peak allocated tensor memory; CPU: the process's peak resident set size (Linux: KiB)."""
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(cfg: Config, tokenizer: Tokenizer, steps: int, warmup: int, repeats: int) -> dict[str, Any]:
    """Median target tokens/s over ``repeats`` runs of the same ``steps`` batches, after ``warmup`` steps."""
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    precision = resolve_precision(cfg.train.precision)
    batches = [b.to(device) for b in training_batches(cfg, tokenizer, warmup + steps)]
    trainer = Trainer(cfg, device, precision)
    for batch in batches[:warmup]:
        trainer.step(batch)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    timed = batches[warmup:]
    tokens = sum(int((b.tgt_out != cfg.model.pad_id).sum()) for b in timed)
    rates = []
    for _ in range(repeats):
        sync(device)
        start = time.perf_counter()
        for batch in timed:
            trainer.step(batch)
        sync(device)
        rates.append(tokens / (time.perf_counter() - start))
    return {
        "input_feeding": cfg.model.input_feeding,
        "device": device.type,
        "precision": precision,
        "threads": torch.get_num_threads(),
        "parameters": trainer.model.num_parameters(),
        "steps": steps,
        "warmup_steps": warmup,
        "target_tokens_per_step": round(tokens / steps, 1),
        "tokens_per_s": round(statistics.median(rates), 1),
        "runs_tokens_per_s": [round(r, 1) for r in rates],
        "peak_memory_mib": round(peak_memory_mib(device), 1),
        "peak_memory_kind": "cuda max_memory_allocated" if device.type == "cuda" else "process peak RSS",
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
