"""Corpus evaluation with sacreBLEU: BLEU and chrF with their signatures."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sacrebleu.metrics import BLEU, CHRF

from translator.files import read_lines
from translator.translate import Translator


class EvaluationError(ValueError):
    """The evaluation inputs are unusable (missing files, mismatched line counts)."""


def score(hypotheses: list[str], references: list[str]) -> dict[str, Any]:
    """sacreBLEU corpus BLEU (13a, cased) and chrF of hypotheses against one reference each."""
    if len(hypotheses) != len(references):
        raise EvaluationError(f"{len(hypotheses)} hypotheses but {len(references)} references")
    bleu, chrf = BLEU(), CHRF()
    bleu_score = bleu.corpus_score(hypotheses, [references])
    chrf_score = chrf.corpus_score(hypotheses, [references])
    return {
        "bleu": round(bleu_score.score, 2),
        "chrf": round(chrf_score.score, 2),
        "signature": str(bleu.get_signature()),
        "chrf_signature": str(chrf.get_signature()),
        "bleu_detail": str(bleu_score),
        "sentences": len(hypotheses),
    }


def evaluate_files(
    model_dir: str | Path | Sequence[str | Path],
    src: str | Path,
    ref: str | Path,
    beam_size: int | None = None,
    hyp_out: str | Path | None = None,
    translator: Translator | None = None,
) -> dict[str, Any]:
    """Translate ``src`` with the package (several: an ensemble), score against ``ref``, optionally
    write the hypotheses."""
    sources, references = read_lines(src), read_lines(ref)
    if len(sources) != len(references):
        raise EvaluationError(f"{src} has {len(sources)} lines but {ref} has {len(references)}")
    if not sources:
        raise EvaluationError(f"{src} and {ref} are empty: there is nothing to score")
    report = evaluate_pairs(model_dir, sources, references, beam_size, hyp_out, translator)
    return {**report, "src": str(src), "ref": str(ref)}


def evaluate_pairs(
    model_dir: str | Path | Sequence[str | Path],
    sources: Sequence[str],
    references: Sequence[str],
    beam_size: int | None = None,
    hyp_out: str | Path | None = None,
    translator: Translator | None = None,
) -> dict[str, Any]:
    """Translate ``sources`` with the package (``translator``: already loaded from it), score against
    ``references`` (as many), optionally write the hypotheses."""
    translator = translator or Translator.load(model_dir)
    start = time.perf_counter()
    hypotheses = [t.text for t in translator.translate(list(sources), beam_size=beam_size)]
    seconds = time.perf_counter() - start
    if hyp_out is not None:
        Path(hyp_out).parent.mkdir(parents=True, exist_ok=True)
        Path(hyp_out).write_text("".join(h + "\n" for h in hypotheses), encoding="utf-8")
    report = score(hypotheses, list(references))
    beam = translator.package.decode_cfg.beam_size if beam_size is None else beam_size
    report.update(
        model=str(model_dir) if isinstance(model_dir, (str, Path)) else ",".join(map(str, model_dir)),
        beam_size=beam,
        hypotheses=str(hyp_out) if hyp_out else None,
    )
    report["decode_seconds"] = round(seconds, 2)
    return report
