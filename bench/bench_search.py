"""Is greedy search worth its own code? ``greedy_search`` against ``beam_search`` with beam 1 on the same batches.

    python -m bench.bench_search --model artifacts/default [--sentences 1000] [--repeats 3]

Both searches decode the same padded batches of test_2016_flickr sources (sorted by length, as
``Translator`` batches them) with the package's model and length penalty; the figure is the median of
``--repeats`` timed passes after a warm-up pass, at batch 64 and at batch 1 (the first ``--batch1-sentences``).
The outputs are compared too: beam 1 must return greedy's tokens, or the timing compares different work.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

import torch

from bench.bench_decode import median_seconds
from translator.evaluate import read_lines
from translator.padding import lengths_of, pad_ids
from translator.search import Hypothesis, beam_search, greedy_search, max_lengths
from translator.translate import Translator


def batches(translator: Translator, texts: list[str], size: int) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Source id batches sorted by length: [(src (B, S), src_len (B,))]."""
    ids = sorted((translator.package.tokenizer.encode_source(t)[0] for t in texts if t.strip()), key=len)
    return [(pad_ids(ids[i : i + size]), lengths_of(ids[i : i + size])) for i in range(0, len(ids), size)]


def decode_all(translator: Translator, work: list[tuple[torch.Tensor, torch.Tensor]], greedy: bool) -> list[Hypothesis]:
    cfg, model = translator.package.decode_cfg, translator.package.model
    hyps: list[Hypothesis] = []
    for src, src_len in work:
        limit = max_lengths(src_len, cfg)
        if greedy:
            hyps += greedy_search(model, src, src_len, limit, cfg.length_penalty)
        else:
            hyps += beam_search(model, src, src_len, limit, 1, cfg.length_penalty)
    return hyps


def compare(translator: Translator, texts: list[str], batch: int, repeats: int) -> dict[str, Any]:
    """Median seconds of both searches on the same batches, and whether their outputs agree."""
    work = batches(translator, texts, batch)
    row: dict[str, Any] = {"batch": batch, "sentences": sum(len(b[1]) for b in work)}
    outputs = {}
    for name, greedy in (("greedy_search", True), ("beam_search_1", False)):
        decode_all(translator, work[:2], greedy)  # warm-up
        seconds, runs, outputs[name] = median_seconds(lambda g=greedy: decode_all(translator, work, g), repeats)
        row[name] = {"seconds": round(seconds, 3), "runs_seconds": [round(s, 3) for s in runs]}
        row[name]["sentences_per_s"] = round(row["sentences"] / seconds, 1)
    same = [a.tokens for a in outputs["greedy_search"]] == [b.tokens for b in outputs["beam_search_1"]]
    row["same_tokens"] = same
    row["greedy_speedup"] = round(row["beam_search_1"]["seconds"] / row["greedy_search"]["seconds"], 2)
    return row


def run(model: str, sources: list[str], batch1_sentences: int, repeats: int, quantize: str = "none") -> list[dict]:
    """Both batch sizes for one package; prints a line per row."""
    translator = Translator.load(model, quantize=quantize)
    rows = []
    for batch, texts in ((64, sources), (1, sources[:batch1_sentences])):
        with torch.inference_mode():
            rows.append({"quantize": quantize, **compare(translator, texts, batch, repeats)})
        r = rows[-1]
        print(
            f"  {quantize:>4} batch {batch:>2}: greedy {r['greedy_search']['sentences_per_s']:8.1f} sent/s, "
            f"beam 1 {r['beam_search_1']['sentences_per_s']:8.1f} sent/s, greedy x{r['greedy_speedup']:.2f}, "
            f"same tokens: {r['same_tokens']}",
            flush=True,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="artifacts/default")
    p.add_argument("--src", default="data/multi30k/test_2016_flickr.de", help="source sentences, one per line")
    p.add_argument("--sentences", type=int, default=1000)
    p.add_argument("--batch1-sentences", type=int, default=100)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    p.add_argument("--quantize", nargs="+", default=["none", "int8"])
    args = p.parse_args(argv)
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    sources = read_lines(args.src)[: args.sentences]
    rows = [row for q in args.quantize for row in run(args.model, sources, args.batch1_sentences, args.repeats, q)]
    print(json.dumps(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
