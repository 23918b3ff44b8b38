"""What every val measurement of a model package shares: its options, Multi30k val of its pair (sources,
references, Moses words, eflomal's intersection links), and the pair of packages a comparison loads (bad input ends
through ``translator.errors.status_of``)."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from experiments.alignment_data import moses_lowercase
from experiments.eflomal_baseline import eflomal_on, reference_links
from experiments.record import RESULTS
from translator.alignment.links import Link, format_links, parse_links
from translator.files import atomic_write_text, read_lines
from translator.translate import Translator


def val_parser(description: str) -> argparse.ArgumentParser:
    """The options every val measurement of a model package shares (model, data, links cache, results file)."""
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--model", default="artifacts/default", help="model package (its pair is measured)")
    p.add_argument("--data-dir", default="data/multi30k", type=Path)
    p.add_argument("--work-dir", default="runs/glossary-eval", type=Path, help="where val's eflomal links are cached")
    p.add_argument("--results", default=RESULTS, type=Path, help="the JSON-lines file every row is appended to")
    p.add_argument("--seed", type=int, default=1, help="seed of the random terms or tags")
    return p


def tokenized(data_dir: Path, split: str, src: str, tgt: str) -> tuple[list[str], list[str]]:
    """The Moses words (lowercased) of a split's two sides, as eflomal saw them."""
    return tuple(moses_lowercase(read_lines(data_dir / f"{split}.{lang}"), lang) for lang in (src, tgt))  # type: ignore[return-value]


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
