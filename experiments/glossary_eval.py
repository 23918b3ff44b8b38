"""Glossary methods compared on the same data, the WMT 2021/2023 terminology way (``make glossary-eval``).

    python -m experiments.glossary_eval --model artifacts/default [--data-dir data/multi30k] [--max-terms 2]

Term pairs come from Multi30k val through eflomal links, kept only where the baseline output misses the term
(``experiments.glossary_terms``). Each method runs three ways: no terms, the real terms, and random terms (a
plausible but wrong target). Methods: ``replace`` (alignment replacement: translate, then put each term in place
of the target words linked to its source words, ``translator.glossary``) and ``constrain`` (lexically
constrained beam search, ``translator.constrained``). Reported per row (``experiments.term_metrics``): exact
term accuracy, window overlap (±2), 1 - TERm, BLEU and chrF with every real and random term masked out of both
output and reference, milliseconds per sentence at batch 64 and beam 5 (this process's threads), and terms per
sentence. Every row is appended to ``experiments/results.jsonl``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence

import sacrebleu
import torch

from experiments.glossary_terms import TermCase, build_cases, inflection_misses
from experiments.record import append
from experiments.term_metrics import masked, term_edit_rate, term_found, window_overlap
from experiments.val_set import load_val, val_parser
from translator.alignment.links import DEFAULT_LINK_RULE, LINK_RULES
from translator.document import assemble, plan
from translator.errors import status_of
from translator.glossary import CONSTRAIN, GLOSSARY_METHODS, Glossary, glossary_translation, term_constraints
from translator.translate import Translator

BATCH, BEAM = 64, 5
CONDITIONS = ("none", "real", "random")


def _terms(case: TermCase, condition: str) -> tuple[tuple[str, str], ...]:
    return {"none": (), "real": case.terms, "random": case.random_terms}[condition]


def run_method(
    translator: Translator, cases: Sequence[TermCase], method: str, condition: str, link_rule: str
) -> tuple[list[str], float]:
    """The outputs of ``method`` under ``condition`` and the seconds they took (decoding included)."""
    texts = [case.source for case in cases]
    tok = translator.package.tokenizer
    started = time.perf_counter()
    if method == CONSTRAIN:
        constraints = [term_constraints(c.source, Glossary(_terms(c, condition)), tok) for c in cases]
        results = translator.translate(texts, beam_size=BEAM, batch_size=BATCH, constraints=constraints)
        return [r.text for r in results], time.perf_counter() - started
    results = translator.translate(texts, beam_size=BEAM, batch_size=BATCH)
    documents = assemble(tok, plan(texts, translator.metadata["src_lang"], split=False), results)
    outputs = [
        glossary_translation(d, Glossary(_terms(c, condition)), link_rule)[0] if _terms(c, condition) else d.text
        for d, c in zip(documents, cases, strict=True)
    ]
    return outputs, time.perf_counter() - started


def score(cases: Sequence[TermCase], outputs: Sequence[str], condition: str) -> dict[str, float]:
    """Term accuracy (of the condition's terms; for none, of the real ones), window overlap and 1 - TERm (real
    terms against the reference), and masked BLEU/chrF (real and random terms masked everywhere)."""
    wanted = [(o, t) for c, o in zip(cases, outputs) for _, t in (_terms(c, condition) or c.terms)]
    real = [(o, c.reference, t) for c, o in zip(cases, outputs) for _, t in c.terms]
    mask = [[t for _, t in c.terms + c.random_terms] for c in cases]
    hyps = [masked(o, m) for o, m in zip(outputs, mask)]
    refs = [masked(c.reference, m) for c, m in zip(cases, mask)]
    return {
        "term_accuracy": 100 * sum(term_found(o, t) for o, t in wanted) / len(wanted),
        "window_overlap": sum(window_overlap(o, r, t) for o, r, t in real) / len(real),
        "one_minus_term": 1 - sum(term_edit_rate(o, c.reference, [t for _, t in c.terms])
                                  for c, o in zip(cases, outputs)) / len(cases),
        "masked_bleu": sacrebleu.corpus_bleu(hyps, [refs], force=True).score,  # masking leaves lone periods
        "masked_chrf": sacrebleu.corpus_chrf(hyps, [refs]).score,
    }  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    p = val_parser(__doc__.splitlines()[0])
    p.add_argument("--max-terms", type=int, default=2, help="terms per sentence at most")
    p.add_argument("--link-rule", choices=LINK_RULES, default=DEFAULT_LINK_RULE, help="word links of replace")
    args = p.parse_args(argv)
    return status_of(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    val = load_val(args)
    translator, src, tgt, sources = val.translator, val.src, val.tgt, val.sources
    baseline = [r.text for r in translator.translate(sources, beam_size=BEAM, batch_size=BATCH)]
    cases = build_cases(sources, val.references, val.tokens, val.links, baseline, args.max_terms, args.seed)
    per_sentence = sum(len(c.terms) for c in cases) / len(cases)
    exact, longer = inflection_misses(cases, sources)
    print(f"{src}->{tgt}: {len(cases)} of {len(sources)} val sentences have a term the baseline misses; "
          f"{per_sentence:.2f} terms a sentence; {torch.get_num_threads()} threads")  # fmt: skip
    print(f"whole-word matching: {exact} occurrences of the source terms in val match, {longer} longer words "
          f"that start with one (inflected or compound forms) do not\n")  # fmt: skip
    print("| method | terms | term acc. % | window overlap | 1 - TERm | masked BLEU | masked chrF | ms/sentence |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for method in GLOSSARY_METHODS:
        for condition in CONDITIONS:
            outputs, seconds = run_method(translator, cases, method, condition, args.link_rule)
            row = score(cases, outputs, condition) | {"ms_per_sentence": 1000 * seconds / len(cases)}
            print(f"| {method} | {condition} | {row['term_accuracy']:.1f} | {row['window_overlap']:.3f} | "
                  f"{row['one_minus_term']:.3f} | {row['masked_bleu']:.2f} | {row['masked_chrf']:.2f} | "
                  f"{row['ms_per_sentence']:.1f} |", flush=True)  # fmt: skip
            record = {"name": f"glossary {method} {condition}", "pair": f"{src}-{tgt}", "model": str(args.model),
                      "sentences": len(cases), "terms_per_sentence": per_sentence, "link_rule": args.link_rule,
                      "batch": BATCH, "beam": BEAM, "threads": torch.get_num_threads(), **row}  # fmt: skip
            append(record, args.results)
    _two_term_timing(translator, [c for c in cases if len(c.terms) == 2], args, f"{src}-{tgt}")


def _two_term_timing(translator: Translator, cases: list[TermCase], args: argparse.Namespace, pair: str) -> None:
    """Milliseconds per sentence on the sentences with exactly two terms: plain beam search (no terms) against
    each method with the real terms, side by side in this process."""
    if not cases:
        return
    times = {
        name: 1000 * run_method(translator, cases, method, condition, args.link_rule)[1] / len(cases)
        for name, method, condition in (("plain", "replace", "none"), ("replace", "replace", "real"),
                                        ("constrain", "constrain", "real"))
    }  # fmt: skip
    print(f"\n{len(cases)} sentences with two terms, batch {BATCH}, beam {BEAM}: "
          + ", ".join(f"{name} {ms:.1f} ms ({ms / times['plain']:.2f}x)" for name, ms in times.items()))  # fmt: skip
    append({"name": "glossary two-term timing", "pair": pair, "model": str(args.model), "sentences": len(cases),
            "batch": BATCH, "beam": BEAM, "threads": torch.get_num_threads(),
            **{f"ms_{name}": ms for name, ms in times.items()}}, args.results)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
