"""Term pairs for the glossary measurement, built from Multi30k val the WMT terminology way.

A val pair's candidate terms are the source and reference words that eflomal (run over Multi30k train plus
val, intersection of both directions) links one to one, exclusively: both words alphabetic, at least 4
letters, and different. A sentence keeps up to ``max_terms`` of its candidates whose target word the
baseline translation misses (the cases where a glossary has something to do). Each kept term also gets a
random term (WMT 2023's control): the target of another sentence's term, a plausible but wrong word.
"""

from __future__ import annotations

import argparse
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from experiments.alignment_data import moses_lowercase
from experiments.eflomal_baseline import eflomal_on, reference_links
from experiments.record import RESULTS
from experiments.term_metrics import WORD, term_found
from translator.alignment.links import Link, format_links, parse_links
from translator.errors import bad_input
from translator.files import atomic_write_text, read_lines
from translator.translate import Translator

MIN_LETTERS = 4


@dataclass(frozen=True)
class TermCase:
    """One val sentence with terms: its line, source, reference, real (source, target) terms and random ones."""

    line: int
    source: str
    reference: str
    terms: tuple[tuple[str, str], ...]
    random_terms: tuple[tuple[str, str], ...]


def val_links(data_dir: Path, src: str, tgt: str, cache: Path, val: tuple[list[str], list[str]]) -> list[set[Link]]:
    """eflomal's intersection links of every val pair (``val``: its Moses words, lowercased, ``tokenized``),
    run over Multi30k train plus val and cached in ``cache``."""
    if cache.is_file():
        return [set(parse_links(line).sure) for line in cache.read_text(encoding="utf-8").splitlines()]
    forward, reverse = eflomal_on(list(zip(*tokenized(data_dir, "train", src, tgt))), list(zip(*val)))
    links = reference_links(forward, reverse)
    cache.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(cache, "".join(format_links(pair) + "\n" for pair in links))
    return links


@dataclass(frozen=True)
class ValSet:
    """What a val measurement of a package reads: the package, its pair, Multi30k val's sources and references,
    their Moses words (lowercased) and eflomal's intersection links of each pair."""

    translator: Translator
    src: str
    tgt: str
    sources: list[str]
    references: list[str]
    tokens: tuple[list[str], list[str]]
    links: list[set[Link]]


def load_val(args: argparse.Namespace) -> ValSet:
    """The ``ValSet`` of ``val_parser``'s options (the links from ``--work-dir``'s cache when it has them)."""
    translator = Translator.load(args.model)
    src, tgt = translator.metadata["src_lang"], translator.metadata["tgt_lang"]
    sources, references = (read_lines(args.data_dir / f"val.{lang}") for lang in (src, tgt))
    tokens = tokenized(args.data_dir, "val", src, tgt)
    links = val_links(args.data_dir, src, tgt, args.work_dir / f"val.{src}-{tgt}.eflomal.links", tokens)
    return ValSet(translator, src, tgt, sources, references, tokens, links)


def compared_packages(
    model: str, against: str, data_dir: Path, sentences: int, quantize: str | None = None
) -> tuple[Translator, Translator, list[str], list[str]]:
    """A new package and the one it is compared with (both loaded with ``quantize``, as ``Translator.load``),
    which must translate the same pair (ValueError otherwise), and the first ``sentences`` Multi30k val sources
    and references of that pair."""
    new, old = (Translator.load(path, quantize=quantize) for path in (model, against))
    pair = (new.metadata["src_lang"], new.metadata["tgt_lang"])
    if (old.metadata["src_lang"], old.metadata["tgt_lang"]) != pair:
        raise ValueError(f"{against} does not translate {pair[0]}->{pair[1]} as {model} does")
    sources, references = (read_lines(data_dir / f"val.{lang}")[:sentences] for lang in pair)
    return new, old, sources, references


def _surface(token: str, raw: str) -> str | None:
    """The word ``token`` (lowercased) as written in ``raw``, or None when it is not one of its words (words as
    the metrics read them, ``experiments.term_metrics.WORD``: "fireman's" is one word, not "fireman")."""
    return next((m.group() for m in WORD.finditer(raw) if m.group().casefold() == token), None)


def candidates(source: str, reference: str, src_tokens: list[str], tgt_tokens: list[str], links: set[Link]):  # noqa: ANN201
    """(source word, target word) pairs linked one to one, as written in the raw sentences."""
    src_count = {i: sum(1 for a, _ in links if a == i) for i, _ in links}
    tgt_count = {j: sum(1 for _, b in links if b == j) for _, j in links}
    pairs = []
    for i, j in sorted(links):
        s, t = src_tokens[i], tgt_tokens[j]
        exclusive = src_count[i] == 1 and tgt_count[j] == 1
        if exclusive and s.isalpha() and t.isalpha() and min(len(s), len(t)) >= MIN_LETTERS and s != t:
            pair = (_surface(s, source), _surface(t, reference))
            if None not in pair:
                pairs.append(pair)
    return pairs


def _one_per_source(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """The first pair of each source word (case-insensitive): a word that occurs twice in a sentence and is
    linked to two target words would be a duplicated or conflicting glossary entry."""
    first: dict[str, tuple[str, str]] = {}
    for pair in pairs:
        first.setdefault(pair[0].casefold(), pair)
    return list(first.values())


def build_cases(
    sources: Sequence[str],
    references: Sequence[str],
    tokens: tuple[list[str], list[str]],
    links: Sequence[set[Link]],
    baseline: Sequence[str],
    max_terms: int,
    seed: int,
) -> list[TermCase]:
    """The val sentences with at least one term the baseline misses, with up to ``max_terms`` terms each (one
    per source word)."""
    kept: list[tuple[int, list[tuple[str, str]]]] = []
    for n, (source, reference, output) in enumerate(zip(sources, references, baseline, strict=True)):
        pairs = candidates(source, reference, tokens[0][n].split(), tokens[1][n].split(), links[n])
        missed = _one_per_source([p for p in pairs if not term_found(output, p[1])])[:max_terms]
        if missed:
            kept.append((n, missed))
    pool = sorted({t for _, terms in kept for _, t in terms})
    rng = random.Random(seed)
    cases = []
    for n, terms in kept:
        wrong = [(s, rng.choice([w for w in pool if w.casefold() != t.casefold()])) for s, t in terms]
        cases.append(TermCase(n, sources[n], references[n], tuple(terms), tuple(wrong)))
    return cases


def tokenized(data_dir: Path, split: str, src: str, tgt: str) -> tuple[list[str], list[str]]:
    """The Moses words (lowercased) of a split's two sides, as eflomal saw them."""
    return tuple(moses_lowercase(read_lines(data_dir / f"{split}.{lang}"), lang) for lang in (src, tgt))  # type: ignore[return-value]


def inflection_misses(cases: Sequence[TermCase], sources: Sequence[str]) -> tuple[int, int]:
    """How often whole-word matching matters: occurrences in ``sources`` of the cases' source terms as whole
    words (matched) and as longer words that start with them (inflected or compound forms, not matched)."""
    terms = {s.casefold() for case in cases for s, _ in case.terms}
    exact = longer = 0
    for line in sources:
        for word in re.findall(r"\w+", line.casefold()):
            exact += word in terms
            longer += word not in terms and any(word.startswith(t) for t in terms)
    return exact, longer


def val_parser(description: str) -> argparse.ArgumentParser:
    """The options every val measurement of a model package shares (model, data, links cache, results file)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--model", default="artifacts/default", help="model package (its pair is measured)")
    p.add_argument("--data-dir", default="data/multi30k", type=Path)
    p.add_argument("--work-dir", default="runs/glossary-eval", type=Path, help="where val's eflomal links are cached")
    p.add_argument("--results", default=RESULTS, type=Path, help="the JSON-lines file every row is appended to")
    p.add_argument("--seed", type=int, default=1, help="seed of the random terms or tags")
    return p


def guarded(run: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    """``run(args)``, with a bad file or value reported as one ``error:`` line and exit status 2."""
    try:
        return run(args)
    except (OSError, ValueError) as err:
        return bad_input(err)
