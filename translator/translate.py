"""The public inference API: ``Translator.load(dir).translate(texts, beam_size=5)``."""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from translator.alignment.words import BOUNDARY
from translator.config import MAX_BEAM
from translator.constrained import Constraints, Lexical
from translator.ensemble import Ensemble
from translator.package import Package, PackageError, load_package
from translator.padding import lengths_of, pad_ids
from translator.quantize import apply_quantization, resolve_quantization
from translator.sampling import sample
from translator.search import Hypothesis, max_lengths, search_n_best


def confidence_of(log_probs: Sequence[float]) -> float:
    """The geometric mean of the probabilities whose logs are given: exp(mean log-prob), in [0, 1]; 1.0 for
    none."""
    return math.exp(sum(log_probs) / len(log_probs)) if log_probs else 1.0


@dataclass(frozen=True)
class Translation:
    """One translated sentence.

    ``alignment`` has len(target_tokens) rows and len(source_tokens) columns; row i holds the
    attention weights (summing to 1) used when target piece i was produced. ``score`` is the
    length-normalised log-probability of the output; ``token_logprobs`` the log-probability of each target
    piece and ``eos_logprob`` that of the end of the sentence after them (together they sum to the
    unnormalised score). ``alternatives``: the n-best list, best first (its first entry is this
    translation), when more than one was asked for; empty otherwise.
    """

    text: str
    source_tokens: list[str]
    target_tokens: list[str]
    alignment: list[list[float]]
    score: float
    token_logprobs: list[float] = field(default_factory=list)
    eos_logprob: float = 0.0
    alternatives: tuple[Translation, ...] = ()

    @property
    def confidence(self) -> float:
        """The geometric mean of the probabilities of the pieces and the end of sentence: exp(mean log-prob)."""
        return confidence_of([*self.token_logprobs, self.eos_logprob])


def _check_compatible(paths: list[str | Path], packages: list[Package]) -> None:
    """Ensemble members must tokenize identically and translate the same language pair."""

    def key(pkg: Package) -> tuple[Any, ...]:
        files = pkg.metadata.get("files", {})
        spm = sorted((name, digest) for name, digest in files.items() if name.startswith("spm"))
        return pkg.metadata.get("src_lang"), pkg.metadata.get("tgt_lang"), tuple(spm)

    for path, pkg in zip(paths[1:], packages[1:]):
        if key(pkg) != key(packages[0]):
            raise PackageError(
                f"{path} cannot join an ensemble with {paths[0]}: the language pair or the SentencePiece model differs"
            )


class Translator:
    """Translates lists of sentences with a loaded package. Holds no per-call state, so one instance
    may serve concurrent callers."""

    def __init__(self, package: Package, device: str | torch.device = "cpu", quantization: str = "none") -> None:
        self.package = package
        self.device = torch.device(device)
        self.quantization = quantization

    @classmethod
    def load(
        cls, path: str | Path | Sequence[str | Path], device: str | torch.device = "cpu", quantize: str | None = None
    ) -> Translator:
        """Load a model package directory (raises ``PackageError`` when it is not valid).

        ``path`` may also be a list of packages: they are decoded as one ensemble (see
        ``translator.ensemble``) and must share their SentencePiece model(s) and language pair; the
        first package's decode settings and metadata are used.

        ``quantize``: "int8" (dynamic int8 weights, CPU only, see ``translator.quantize``), "bf16"
        (bfloat16 weights) or "none" (fp32); None follows the (first) package's metadata
        ``"quantization"`` on the CPU (absent, so fp32, unless the package was exported with ``--int8``) and
        means fp32 on a GPU.
        """
        paths = [path] if isinstance(path, (str, Path)) else list(path)
        if not paths:
            raise PackageError("no model package given")
        packages = [load_package(p, device) for p in paths]
        scheme = resolve_quantization(quantize, packages[0].metadata, torch.device(device).type)
        models = [apply_quantization(p.model, scheme) for p in packages]
        if len(packages) == 1:
            return cls(dataclasses.replace(packages[0], model=models[0]), device, scheme)
        _check_compatible(paths, packages)
        metadata = dict(packages[0].metadata, ensemble=[str(p) for p in paths])
        return cls(dataclasses.replace(packages[0], model=Ensemble(models), metadata=metadata), device, scheme)

    @property
    def metadata(self) -> dict[str, Any]:
        return self.package.metadata

    def translate(
        self,
        texts: list[str],
        beam_size: int | None = None,
        batch_size: int | None = None,
        n_best: int = 1,
        constraints: Sequence[Constraints] | None = None,
    ) -> list[Translation]:
        """Translate ``texts`` (in order). Empty or blank texts give an empty translation.

        Sentences are sorted by length and decoded in batches of ``batch_size`` (default from the
        package's decode config); ``beam_size`` defaults to the package's too (the server always passes its
        own, resolved by ``serve.requests``). ``n_best`` > 1 (at most the beam size; the search refuses more
        with a ValueError) fills each translation's ``alternatives`` with that many outputs, best first.
        ``constraints``: per text, target piece-id sequences its translation must contain (constrained beam
        search, ``translator.constrained``; ``translator.glossary.term_constraints`` makes them from glossary terms).
        """
        if isinstance(texts, str) or not all(isinstance(t, str) for t in texts):
            raise TypeError("translate() takes a list of strings")
        cfg = self.package.decode_cfg
        beam = cfg.beam_size if beam_size is None else int(beam_size)
        if not 1 <= beam <= MAX_BEAM:
            raise ValueError(f"beam_size must be between 1 and {MAX_BEAM}")
        encoded, batches = self._length_batches(texts, batch_size)
        results: list[Translation | None] = [None] * len(texts)
        continues = self._continues_word if constraints else None
        for chunk in batches:
            lexical = Lexical(tuple(tuple(constraints[i]) for i in chunk), continues) if constraints else None
            for i, hyps in zip(chunk, self._decode([encoded[i][0] for i in chunk], beam, n_best, lexical)):
                results[i] = self._to_translation(encoded[i][1], hyps, n_best > 1)
        empty = Translation("", [], [], [], 0.0)
        return [r if r is not None else empty for r in results]

    def sample(self, texts: list[str], batch_size: int | None = None, seed: int = 0) -> list[str]:
        """One sampled translation of each text (``translator.sampling``: for sampled back-translation), in
        order; the draws are repeatable for a given ``seed`` and batch size. Blank texts give ""."""
        encoded, batches = self._length_batches(texts, batch_size)
        generator = torch.Generator(device=self.device).manual_seed(seed)
        results = [""] * len(texts)
        for chunk in batches:
            ids = [encoded[i][0] for i in chunk]
            src, lengths = pad_ids(ids).to(self.device), lengths_of(ids).to(self.device)
            limit = max_lengths(lengths, self.package.decode_cfg)
            for i, pieces in zip(chunk, sample(self.package.model, src, lengths, limit, generator)):
                results[i] = self.package.tokenizer.decode_target(pieces)
        return results

    def _length_batches(
        self, texts: list[str], batch_size: int | None
    ) -> tuple[list[tuple[list[int], list[str]]], list[list[int]]]:
        """Every text's source (ids, pieces) (blank: empty), and the positions of the others sorted by length,
        in batches of ``batch_size`` (default: the package's)."""
        size = batch_size or self.package.decode_cfg.batch_size
        encoded = [self.package.tokenizer.encode_source(t) if t.strip() else ([], []) for t in texts]
        order = sorted((i for i, (ids, _) in enumerate(encoded) if ids), key=lambda i: len(encoded[i][0]))
        return encoded, [order[start : start + size] for start in range(0, len(order), size)]

    def _decode(
        self, batch_ids: list[list[int]], beam: int, n_best: int, lexical: Lexical | None = None
    ) -> list[list[Hypothesis]]:
        """Pad a batch of source id lists to (B, S) and search: the n-best hypotheses of each."""
        src, lengths = pad_ids(batch_ids).to(self.device), lengths_of(batch_ids).to(self.device)
        cfg = dataclasses.replace(self.package.decode_cfg, beam_size=beam)
        return search_n_best(self.package.model, src, lengths, cfg, n_best, lexical)

    @functools.cached_property
    def _continues_word(self) -> Tensor:
        """(V,) bool: the target pieces that continue a word (no word-start mark, a letter or digit first). A
        property of the package's vocabulary, read once on the first constrained call (a scan of every piece, about
        3 ms for 6k pieces) and never changed: concurrent callers at worst compute the same table twice."""
        tok = self.package.tokenizer
        pieces = tok.target_pieces(list(range(tok.tgt_vocab_size)))
        return torch.tensor([not p.startswith(BOUNDARY) and p[:1].isalnum() for p in pieces])

    def _to_translation(self, source_tokens: list[str], hyps: list[Hypothesis], keep_list: bool) -> Translation:
        """The best of ``hyps`` (with all of them as ``alternatives`` when ``keep_list``)."""
        tok = self.package.tokenizer
        items = [
            Translation(
                text=tok.decode_target(hyp.tokens),
                source_tokens=list(source_tokens),
                target_tokens=tok.target_pieces(hyp.tokens),
                alignment=hyp.attention.tolist(),
                score=float(hyp.score),
                token_logprobs=hyp.log_probs[:-1].tolist(),
                eos_logprob=float(hyp.log_probs[-1]),
            )
            for hyp in (hyps if keep_list else hyps[:1])
        ]
        return dataclasses.replace(items[0], alternatives=tuple(items)) if keep_list else items[0]
