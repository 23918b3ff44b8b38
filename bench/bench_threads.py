"""Does decoding scale across threads of one process? (A gunicorn worker decodes in threads.)

``python -m bench.bench_threads --model artifacts/default --quantize int8`` translates test_2016_flickr
sentences greedily in batches of each ``--batch`` size from one thread and then from ``--threads`` threads
at once (one torch thread each, one shared Translator), and prints sentences per second for each. When
the threads together are hardly faster than one, decoding is bound by the interpreter lock (Python work
per decoder step), not by the cores.
"""

from __future__ import annotations

import argparse
import threading
import time

import torch

from bench.serve_bench import load_sentences
from translator.config import QUANTIZATIONS
from translator.translate import Translator


def rate(translator: Translator, batches: list[list[str]], threads: int) -> float:
    """Sentences per second when ``threads`` threads share ``batches`` (every batch decoded ``threads``
    times, so each thread has as much work as one thread alone)."""
    queue, lock, done = iter(batches * threads), threading.Lock(), [0]

    def work() -> None:
        while True:
            with lock:
                batch = next(queue, None)
            if batch is None:
                return
            translator.translate(batch, 1)
            with lock:
                done[0] += len(batch)

    workers = [threading.Thread(target=work) for _ in range(threads)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return done[0] / (time.perf_counter() - began)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="artifacts/default")
    p.add_argument("--quantize", default="int8", choices=QUANTIZATIONS)
    p.add_argument("--batch", type=int, nargs="+", default=[1, 8])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--sentences", type=int, default=128, help="sentences per thread and batch size")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    translator = Translator.load(args.model, quantize=args.quantize)
    lang = translator.metadata.get("src_lang", "de")
    lines, _ = load_sentences(lang, args.sentences)
    print(f"{args.model} ({args.quantize}), greedy, {len(lines)} sentences per thread\n")
    print(f"| batch | 1 thread sent/s | {args.threads} threads sent/s | ratio |\n| ---: | ---: | ---: | ---: |")
    for size in args.batch:
        batches = [lines[i : i + size] for i in range(0, len(lines), size)]
        translator.translate(batches[0], 1)  # warm-up
        one, many = rate(translator, batches, 1), rate(translator, batches, args.threads)
        print(f"| {size} | {one:.1f} | {many:.1f} | {many / one:.2f}x |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
