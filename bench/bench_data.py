"""Is data loading on the critical path? Time the whole input pipeline of one training epoch.

    python -m bench.bench_data --config configs/default.yaml --model artifacts/default

Reads the training split, encodes it with the package's SentencePiece model, builds the token buckets and
collates every batch of epoch 0 (the work a DataLoader does), and prints the seconds next to the number of
batches. Compare with an epoch of training (``make runs``): when it is a small fraction, loader workers
(``train.num_workers``) would only take CPU away from the model.
"""

from __future__ import annotations

import argparse
import sys
import time

from bench.bench_train import training_batches
from training.config import load_config
from translator.package import load_package
from translator.special import PAD_ID


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default="configs/default.yaml")
    parser.add_argument("--model", default="artifacts/default", help="package whose tokenizer encodes the data")
    parser.add_argument("--batches", type=int, default=256, help="batches to collate (an epoch of default: 256)")
    args = parser.parse_args(argv)
    cfg, tokenizer = load_config(args.config), load_package(args.model).tokenizer
    start = time.perf_counter()
    batches = training_batches(cfg, tokenizer, args.batches)
    seconds = time.perf_counter() - start
    tokens = sum(int(b.tgt_out.ne(PAD_ID).sum()) for b in batches)
    print(f"{len(batches)} batches ({tokens} target tokens): read + encode + bucket + collate in {seconds:.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
