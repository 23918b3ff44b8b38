"""BLEU and chrF of a package on its config's validation or test set (``make evaluate``).

    python -m training.evaluate --config configs/x.yaml [--model artifacts/x ...] [--split test] [--beam-size 5]

The split comes from the config: Multi30k's ``val``/``test_2016_flickr``, or the user's ``data.valid`` and
``data.test`` files. Several ``--model`` packages decode as an ensemble. Hypotheses and the JSON report go to
``runs/<name>/eval/<split>.hyp.<tgt>`` and ``<split>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from training.config import Config, load_config
from training.paths import eval_dir, package_dir
from training.sources import MULTI30K_SPLITS, read_split, split_paths
from translator.errors import bad_input
from translator.evaluate import EvaluationError, evaluate_pairs
from translator.translate import Translator

ALIASES = {name: split for split, name in MULTI30K_SPLITS.items()}  # val -> valid, test_2016_flickr -> test


def split_name(cfg: Config, split: str) -> str:
    """How ``split`` (valid or test) is named in file names and package scores: Multi30k's own names, else
    the split itself."""
    return MULTI30K_SPLITS[split] if cfg.data.multi30k else split


def evaluate_split(
    cfg: Config, model: Path | list[Path], split: str, translator: Translator | None = None, beam: int | None = None
) -> dict | None:
    """The report of ``model`` on the config's ``split`` (valid or test), or None when the config has no test
    set. ``translator``: already loaded from ``model``; ``beam``: default the config's."""
    if split_paths(cfg.data, split) is None:
        return None
    pairs = read_split(cfg.data, split)
    if not pairs:
        raise EvaluationError(f"the {split} set of {cfg.name} is empty: there is nothing to score")
    name = split_name(cfg, split)
    eval_folder = eval_dir(cfg)
    eval_folder.mkdir(parents=True, exist_ok=True)
    report = evaluate_pairs(
        model,
        [s for s, _ in pairs],
        [t for _, t in pairs],
        beam_size=beam or cfg.decode.beam_size,
        hyp_out=eval_folder / f"{name}.hyp.{cfg.data.tgt_lang}",
        translator=translator,
    )
    report["split"] = name
    (eval_folder / f"{name}.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", required=True)
    parser.add_argument("--model", nargs="+", help="package(s); default artifacts/<config name>")
    parser.add_argument("--split", default="test", help="valid or test (Multi30k: also val, test_2016_flickr)")
    parser.add_argument("--beam-size", type=int)
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        split = ALIASES.get(args.split, args.split)
        if split not in ("valid", "test"):
            raise EvaluationError(f"--split must be valid or test, got {args.split!r}")
        models = [Path(m) for m in args.model or [package_dir(cfg)]]
        report = evaluate_split(cfg, models[0] if len(models) == 1 else models, split, beam=args.beam_size)
        if report is None:
            raise EvaluationError(f"{args.config} names no test set (data.test)")
    except (ValueError, OSError) as err:
        return bad_input(err)
    print(f"{report['split']}: BLEU {report['bleu']:.2f}  chrF {report['chrf']:.2f}  ({report['sentences']} sentences)")
    print(f"BLEU signature: {report['signature']}")
    print(f"chrF signature: {report['chrf_signature']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
