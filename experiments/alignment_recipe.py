"""The best alignment recipe of the README, for any English-French pairs, in one command: both directions
guided by eflomal and trained on Multi30k plus the text to align, then combined (``mean`` + ``mutual``).

    python -m experiments.alignment_recipe --pairs heldout.src-tgt [--gold heldout.gold] [--name heldout]
        [--more-pairs other.src-tgt ...]

``make alignment-recipe PAIRS=… GOLD=…`` runs it. Steps, each skipped when its output is already there (so a
killed run goes on where it stopped; training itself resumes from ``last.ckpt``):

1. the corpus: Multi30k en-fr train followed by the pairs' text and that of every ``--more-pairs`` file
   (``experiments.indomain_corpus``), in ``runs/<name>-corpus/``;
2. one config a direction: the template (``--forward-template``, ``--backward-template``) with that corpus as
   ``data.train`` and its own links file, saved as ``runs/<name>-configs/<name>-en-fr.yaml`` / ``-fr-en.yaml``
   (so the runs are ``runs/<name>-en-fr`` and the packages ``artifacts/<name>-en-fr``);
3. eflomal's intersection links of each config's training pairs (``python -m training.guided``);
4. ``python -m training.train`` of each config, in its own process, as ``make train`` runs it;
5. the links of the pairs (English word i, French word j), one Pharaoh line a pair, in ``runs/<name>-links.txt``,
   and of each ``--more-pairs`` file in ``runs/<name>-<file stem>-links.txt`` (aligned, never scored);
6. with ``--gold`` (1-indexed ``i-j`` sure and ``ipj`` possible links, as the WPT set): AER, precision and
   recall of those links and of eflomal's intersection over the same corpus (the baseline's protocol,
   ``experiments.eflomal_baseline``), one row each to ``experiments/results.jsonl``.

The cheap path, ``--continue-from EN_FR_PACKAGE FR_EN_PACKAGE``: instead of training from scratch, each
direction continues training a general package on the same corpus and links, by the rule of
``experiments.cheap_rule`` (``--epochs``, ``--lr-scale``, ``--warmup``, ``--upsample``, ``--base-weight``,
``--new-weight``, ``--guided-weight``, ``--dropout``).
"""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys
from pathlib import Path

from experiments.alignment_aer import forced
from experiments.alignment_data import read_gold
from experiments.cheap_rule import Continued, add_rule_options, continued_config, continued_rule, upsampled
from experiments.eflomal_baseline import REFERENCE, eflomal_on, multi30k_pairs, reference_links
from experiments.indomain_corpus import main as write_corpus
from experiments.record import append
from training.config import load_config, save_config
from training.corpus_config import CorpusFiles
from training.export import scored_export
from training.guided import main as write_links
from training.paths import package_dir
from translator.alignment.aligner import AlignMethod, combined_links, read_pairs_file
from translator.alignment.links import AerScore, Link, alignment_error_rate, format_links
from translator.errors import status_of
from translator.files import atomic_write_text

LEVERS = Path(__file__).resolve().parents[1] / "configs" / "levers"
FORWARD_TEMPLATE = LEVERS / "en-fr-guided-indomain-uniform-18ep.yaml"
BACKWARD_TEMPLATE = LEVERS / "fr-en-guided-indomain-uniform.yaml"
METHOD = AlignMethod("mutual", symmetrise="mean")  # the best dev method (README "Alignment quality")


def check_template(template: str | Path, src: str, tgt: str) -> None:
    """The template must load and translate ``src`` -> ``tgt`` (links are read as English word, French word)."""
    data = load_config(template).data
    if (data.src_lang, data.tgt_lang) != (src, tgt):
        raise ValueError(f"{template} translates {data.src_lang}->{data.tgt_lang}; the recipe needs {src}->{tgt} there")


def direction_config(
    template: str | Path,
    name: str,
    corpus: Path,
    out_dir: Path,
    continued: Continued | None = None,
    seed: int | None = None,
    *,
    data_dir: str,
) -> Path:
    """The template with ``corpus`` as training data and its own run name and links file (and, ``continued``,
    starting from a package by the cheap path's rule, Multi30k read from ``data_dir`` when it upsamples; ``seed``,
    another sample) -> the saved file."""
    cfg = load_config(template)
    src, tgt = cfg.data.src_lang, cfg.data.tgt_lang
    run = f"{name}-{src}-{tgt}"
    train = CorpusFiles(src=str(corpus / f"train.{src}"), tgt=str(corpus / f"train.{tgt}"))
    if continued is not None and continued.upsample:
        train = upsampled(cfg, corpus, data_dir, continued)
    data = dataclasses.replace(cfg.data, train=train, alignment_links=f"runs/{run}/train.links")
    schedule = cfg.train if seed is None else dataclasses.replace(cfg.train, seed=seed)
    if continued is not None:
        cfg, schedule = continued_config(cfg, schedule, continued)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{run}.yaml"
    save_config(dataclasses.replace(cfg, name=run, data=data, train=schedule), path)
    return path


def train_direction(config: Path, threads: int | None) -> Path:
    """eflomal links (once), then the training and export of one direction -> its package folder (nothing to do
    when it holds the scored export of the finished run)."""
    cfg = load_config(config)
    if scored_export(cfg, package_dir(cfg)):
        print(f"{package_dir(cfg)}: trained and exported already")
        return package_dir(cfg)
    made = Path(cfg.data.alignment_links).is_file()
    if not made and write_links(["--config", str(config), "--symmetrise", REFERENCE]):
        raise RuntimeError(f"the eflomal links of {config} could not be made")
    command = [sys.executable, "-m", "training.train", "--config", str(config)]
    if threads is not None:
        command += ["--threads", str(threads)]
    if subprocess.run(command, check=False).returncode != 0:
        raise RuntimeError(f"training {config} failed (its own error is above)")
    return package_dir(cfg)


def recipe_links(forward: Path, backward: Path, pairs: list[tuple[str, str]]) -> list[set[Link]]:
    """(English word, French word) links of every pair: both packages force-aligned, mean + mutual."""
    fwd, bwd = forced(str(forward), pairs, False), forced(str(backward), pairs, True)
    return [combined_links(f, b, METHOD) for f, b in zip(fwd, bwd, strict=True)]


def score(args: argparse.Namespace, links: list[set[Link]], more: list[tuple[str, str]]) -> dict[str, AerScore]:
    """Print (and record) AER, precision and recall of ``links`` and of eflomal on the same pairs, eflomal run
    over the recipe's corpus (Multi30k, the pairs, then ``more``) -> each aligner's scores by its row name."""
    pairs, gold = read_gold(args.pairs, args.gold)
    forward, reverse = eflomal_on(multi30k_pairs(args.data_dir), pairs + more)
    forward, reverse = forward[: len(pairs)], reverse[: len(pairs)]
    name, gold_path, record = args.name, args.gold, not args.no_record
    rows = [
        (f"attention, both directions, mean {METHOD.name}", links),
        (f"eflomal {REFERENCE}", reference_links(forward, reverse)),  # the links the models are taught
    ]
    print(f"\n{len(pairs)} pairs, gold {gold_path}")
    print("| aligner | AER % | precision % | recall % |\n| --- | ---: | ---: | ---: |")
    scored = {}
    for aligner, predicted in rows:
        result = scored[aligner] = alignment_error_rate(gold, predicted)
        print(f"| {aligner} | {100 * result.aer:.2f} | {100 * result.precision:.2f} | {100 * result.recall:.2f} |")
        if record:
            scores = {"aer": result.aer, "precision": result.precision, "recall": result.recall, "gold": gold_path}
            append({"kind": "alignment", "name": f"recipe {name}: {aligner}", **scores, "pairs": len(pairs)})
    return scored


def checked_inputs(args: argparse.Namespace) -> tuple[list[tuple[str, str]], dict[Path, list[tuple[str, str]]]]:
    """The pairs and every ``--more-pairs`` file's pairs, with the gold and both templates checked: the errors
    come before any step writes -> (pairs, more pairs by file)."""
    pairs = read_pairs_file(args.pairs)
    more = {Path(path): read_pairs_file(path) for path in args.more_pairs}
    if args.gold:
        read_gold(args.pairs, args.gold)
    check_template(args.forward_template, "en", "fr")
    check_template(args.backward_template, "fr", "en")
    return pairs, more


def run(args: argparse.Namespace) -> dict[str, AerScore] | None:
    """Every step of the recipe (module doc) -> with ``--gold``, the scores ``score`` printed."""
    pairs, more = checked_inputs(args)
    starts = args.continue_from or [None, None]
    # the cheap path's rule, checked before any write
    rules = [None if start is None else continued_rule(args, start, args.epochs) for start in starts]
    corpus = Path("runs") / f"{args.name}-corpus"
    corpus_args = ["--data-dir", args.data_dir, "--pairs", args.pairs, *map(str, more), "--out", str(corpus)]
    if not (corpus / "new.fr").is_file() and write_corpus(corpus_args):  # new.fr: the last file it writes
        raise RuntimeError("the corpus could not be written")
    configs = Path("runs") / f"{args.name}-configs"
    packages = [
        train_direction(
            direction_config(template, args.name, corpus, configs, rule, args.seed, data_dir=args.data_dir),
            args.threads,
        )
        for template, rule in zip((args.forward_template, args.backward_template), rules)
    ]
    links = write_recipe_links(packages, pairs, Path("runs") / f"{args.name}-links.txt")
    for path, found in more.items():
        write_recipe_links(packages, found, Path("runs") / f"{args.name}-{path.stem}-links.txt")
    if not args.gold:
        return None
    return score(args, links, [pair for found in more.values() for pair in found])


def write_recipe_links(packages: list[Path], pairs: list[tuple[str, str]], out: Path) -> list[set[Link]]:
    """The recipe's links of ``pairs`` (``recipe_links``), written to ``out`` one Pharaoh line a pair."""
    links = recipe_links(packages[0], packages[1], pairs)
    atomic_write_text(out, "".join(format_links(pair) + "\n" for pair in links))
    print(f"{len(links)} pairs aligned ({METHOD.symmetrise} {METHOD.name}) into {out}")
    return links


def add_run_options(p: argparse.ArgumentParser) -> None:
    """The options of what a recipe run trains on and how (``experiments.cheap_path`` takes them too)."""
    p.add_argument("--gold", help="their gold links, 1-indexed (i-j sure, ipj possible): print AER")
    p.add_argument(
        "--more-pairs", nargs="*", default=[], help="more pairs whose text joins the corpus; aligned, not scored"
    )
    p.add_argument("--data-dir", default="data/multi30k", help="Multi30k text (make data CONFIG=configs/en-fr.yaml)")
    p.add_argument("--forward-template", default=str(FORWARD_TEMPLATE), help="en->fr config to copy")
    p.add_argument("--backward-template", default=str(BACKWARD_TEMPLATE), help="fr->en config to copy")
    p.add_argument("--threads", type=int, help="CPU threads of each training (train.threads)")
    p.add_argument("--seed", type=int, help="train.seed of both directions (another sample; default the template's)")
    p.add_argument("--no-record", action="store_true", help="do not append the AER rows to experiments/results.jsonl")


def parser() -> argparse.ArgumentParser:
    """The recipe's command line."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--pairs", required=True, help="the pairs to align: 'english ||| french' lines")
    p.add_argument("--name", default="recipe", help="prefix of the run, config, package and links names")
    add_run_options(p)
    p.add_argument("--continue-from", nargs=2, metavar=("EN_FR", "FR_EN"), help="general packages: the cheap path")
    p.add_argument("--epochs", type=int, default=2, help="cheap path: epochs of continued training")
    add_rule_options(p)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    return status_of(lambda: run(args), (ValueError, OSError, RuntimeError))


if __name__ == "__main__":
    sys.exit(main())
