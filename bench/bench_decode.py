"""Decoding speed and quality, and package size and load time, for ``bench/bench.py``.

Each figure is the median of ``repeats`` timed runs after one warm-up call with the same settings.
Target tokens are the subword pieces produced (EOS not counted). BLEU is sacreBLEU's corpus BLEU of
the timed run's output against the references of the same sentences.
"""

from __future__ import annotations

import io
import statistics
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from translator.evaluate import score
from translator.translate import Translation, Translator


@dataclass(frozen=True)
class DecodeCase:
    """One decoding setting: quantization ("none" = fp32, "int8", "bf16"), beam size, batch size, sentence count."""

    quantize: str
    beam: int
    batch: int
    sentences: int

    @property
    def search(self) -> str:
        return "greedy" if self.beam == 1 else f"beam {self.beam}"


def median_seconds(fn: Any, repeats: int) -> tuple[float, list[float], Any]:
    """Call ``fn()`` ``repeats`` times -> (median seconds, all seconds, the last result)."""
    seconds, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), seconds, result


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def run_case(translator: Translator, case: DecodeCase, sources: list[str], refs: list[str], repeats: int) -> dict:
    """Time ``translator`` on the first ``case.sentences`` sources and score the output."""
    texts, references = sources[: case.sentences], refs[: case.sentences]

    def decode() -> list[Translation]:
        out = translator.translate(texts, beam_size=case.beam, batch_size=case.batch)
        sync(translator.device)
        return out

    translator.translate(texts[: max(case.batch, 8)], beam_size=case.beam, batch_size=case.batch)  # warm-up
    seconds, runs, outputs = median_seconds(decode, repeats)
    pieces = sum(len(t.target_tokens) for t in outputs)
    return {
        "quantize": case.quantize,
        "device": translator.device.type,
        "search": case.search,
        "beam": case.beam,
        "batch": case.batch,
        "sentences": len(texts),
        "seconds": round(seconds, 3),
        "runs_seconds": [round(s, 3) for s in runs],
        "sentences_per_s": round(len(texts) / seconds, 1),
        "target_tokens_per_s": round(pieces / seconds, 1),
        "bleu": score([t.text for t in outputs], references)["bleu"],
    }


def decode_cases(quantizations: list[str], n_batched: int, n_single: int) -> list[DecodeCase]:
    """Greedy and beam 5 at batch 64 (``n_batched`` sentences) and batch 1 (``n_single``), per quantization."""
    return [
        DecodeCase(q, beam, batch, n_batched if batch > 1 else n_single)
        for q in quantizations
        for beam in (1, 5)
        for batch in (64, 1)
    ]


def load_translator(model_dir: str | Path, quantize: str, device: str) -> Translator:
    """fp32 and bf16 on ``device``; int8 (dynamic quantization runs on the CPU only) on the CPU."""
    return Translator.load(model_dir, device="cpu" if quantize == "int8" else device, quantize=quantize)


def run_decoding(
    model_dir: str | Path, cases: list[DecodeCase], sources: list[str], refs: list[str], repeats: int, device: str
) -> list[dict]:
    """All cases, loading each quantization once."""
    results, loaded = [], {}
    for case in cases:
        if case.quantize not in loaded:
            loaded[case.quantize] = load_translator(model_dir, case.quantize, device)
        results.append(run_case(loaded[case.quantize], case, sources, refs, repeats))
        row = results[-1]
        print(
            f"  {case.quantize:>4} {case.search:>7} batch {case.batch:>2}: {row['sentences_per_s']:8.1f} sent/s  "
            f"BLEU {row['bleu']:5.2f}",
            flush=True,
        )
    return results


def state_bytes(translator: Translator) -> int:
    """Bytes of the loaded model's state dict serialised with ``torch.save`` (int8 weights are packed)."""
    buffer = io.BytesIO()
    torch.save(translator.package.model.state_dict(), buffer)
    return buffer.tell()


def package_figures(model_dir: str | Path, quantizations: list[str], repeats: int, device: str) -> dict[str, Any]:
    """Package size on disk, and per quantization the median load time and the loaded weights' size."""
    files = {p.name: p.stat().st_size for p in sorted(Path(model_dir).iterdir()) if p.is_file()}
    figures: dict[str, Any] = {
        "dir": str(model_dir),
        "size_mib": round(sum(files.values()) / 2**20, 2),
        "files_bytes": files,
        "load": {},
    }
    for quantize in quantizations:
        seconds, runs, translator = median_seconds(lambda q=quantize: load_translator(model_dir, q, device), repeats)
        figures["load"][quantize] = {
            "seconds": round(seconds, 3),
            "runs_seconds": [round(s, 3) for s in runs],
            "weights_in_memory_mib": round(state_bytes(translator) / 2**20, 2),
        }
    return figures
