"""The public inference API: ``Translator.load(dir).translate(texts, beam_size=5)``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from translator.package import Package, load_package
from translator.quantize import apply_quantization, resolve_quantization
from translator.search import Hypothesis, search


@dataclass(frozen=True)
class Translation:
    """One translated sentence.

    ``alignment`` has len(target_tokens) rows and len(source_tokens) columns; row i holds the
    attention weights (summing to 1) used when target piece i was produced. ``score`` is the
    length-normalised log-probability of the output.
    """

    text: str
    source_tokens: list[str]
    target_tokens: list[str]
    alignment: list[list[float]]
    score: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "source_tokens": self.source_tokens,
            "target_tokens": self.target_tokens,
            "alignment": self.alignment,
            "score": self.score,
        }


class Translator:
    """Translates lists of sentences with a loaded package. Holds no per-call state, so one instance
    may serve concurrent callers."""

    def __init__(self, package: Package, device: str | torch.device = "cpu", quantization: str = "none") -> None:
        self.package = package
        self.device = torch.device(device)
        self.quantization = quantization

    @classmethod
    def load(cls, path: str | Path, device: str | torch.device = "cpu", quantize: str | None = None) -> Translator:
        """Load a model package directory (raises ``PackageError`` when it is not valid).

        ``quantize``: "int8" (dynamic int8 weights, CPU only, see ``translator.quantize``) or "none"
        (fp32); None follows the package's metadata ``"quantization"`` on the CPU (absent, so fp32,
        unless the package was exported with ``--int8``) and means fp32 on a GPU.
        """
        package = load_package(path, device)
        scheme = resolve_quantization(quantize, package.metadata, torch.device(device).type)
        if scheme != "none":
            package = dataclasses.replace(package, model=apply_quantization(package.model, scheme))
        return cls(package, device, scheme)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.package.metadata

    def translate(
        self, texts: list[str], beam_size: int | None = None, batch_size: int | None = None
    ) -> list[Translation]:
        """Translate ``texts`` (in order). Empty or blank texts give an empty translation.

        Sentences are sorted by length and decoded in batches of ``batch_size`` (default from the
        package's decode config); ``beam_size`` defaults to the package's too.
        """
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("translate() takes a list of strings")
        cfg = self.package.decode_cfg
        beam = cfg.beam_size if beam_size is None else int(beam_size)
        if not 1 <= beam <= 64:
            raise ValueError("beam_size must be between 1 and 64")
        batch_size = batch_size or cfg.batch_size
        encoded = [self.package.tokenizer.encode_source(t) if t.strip() else ([], []) for t in texts]
        results: list[Translation | None] = [None] * len(texts)
        order = sorted((i for i, (ids, _) in enumerate(encoded) if ids), key=lambda i: len(encoded[i][0]))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            for i, hyp in zip(chunk, self._decode([encoded[i][0] for i in chunk], beam)):
                results[i] = self._to_translation(encoded[i][1], hyp)
        empty = Translation("", [], [], [], 0.0)
        return [r if r is not None else empty for r in results]

    def _decode(self, batch_ids: list[list[int]], beam: int) -> list[Hypothesis]:
        """Pad a batch of source id lists to (B, S) and search."""
        pad = self.package.model_cfg.pad_id
        lengths = torch.tensor([len(ids) for ids in batch_ids], dtype=torch.long)
        src = torch.full((len(batch_ids), int(lengths.max())), pad, dtype=torch.long)
        for row, ids in enumerate(batch_ids):
            src[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        src, lengths = src.to(self.device), lengths.to(self.device)
        return search(self.package.model, src, lengths, self.package.decode_cfg, beam)

    def _to_translation(self, source_tokens: list[str], hyp: Hypothesis) -> Translation:
        tok = self.package.tokenizer
        return Translation(
            text=tok.decode_target(hyp.tokens),
            source_tokens=list(source_tokens),
            target_tokens=tok.target_pieces(hyp.tokens),
            alignment=hyp.attention.tolist(),
            score=float(hyp.score),
        )
