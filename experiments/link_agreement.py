"""Does a new model keep the alignment of the model it replaces? Word links of both on the same pairs.

    python -m experiments.link_agreement --model artifacts/best-de-en --against artifacts/default [--sentences 200]

The first ``--sentences`` val pairs (source, reference) are force-aligned by each package, links read by
``--rule`` (default ``mutual``), and the new model's links are scored against the old one's as if they were gold:
precision (the share of the new links the old model has too) and recall (the share of the old links kept).
"""

from __future__ import annotations

import argparse
import sys

from experiments.record import append
from experiments.val_set import compared_packages, val_parser
from translator.alignment.aligner import AlignMethod, align_pairs
from translator.alignment.links import RULES
from translator.errors import status_of


def agreement(new: list[set], old: list[set]) -> tuple[float, float]:
    """(precision, recall) of the ``new`` links against the ``old`` ones, over all pairs."""
    both = sum(len(a & b) for a, b in zip(new, old, strict=True))
    return both / max(sum(map(len, new)), 1), both / max(sum(map(len, old)), 1)


def main(argv: list[str] | None = None) -> int:
    p = val_parser(__doc__.splitlines()[0])
    p.add_argument("--against", required=True, help="the package whose links are the reference")
    p.add_argument("--sentences", type=int, default=200, help="val pairs aligned")
    p.add_argument("--rule", choices=RULES, default="mutual", help="how links are read")
    args = p.parse_args(argv)
    return status_of(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    new, old, sources, references = compared_packages(args.model, args.against, args.data_dir, args.sentences)
    pair = (new.metadata["src_lang"], new.metadata["tgt_lang"])
    pairs = list(zip(sources, references, strict=True))
    method = AlignMethod(args.rule)
    precision, recall = agreement(align_pairs(pairs, new, method)[0], align_pairs(pairs, old, method)[0])
    print(f"{args.model} against {args.against}, {len(pairs)} val pairs, {args.rule} links: "
          f"precision {100 * precision:.2f} %, recall {100 * recall:.2f} %")  # fmt: skip
    record = {"kind": "alignment", "name": f"link agreement {args.rule}", "pair": "-".join(pair), "model": args.model,
              "against": args.against, "pairs": len(pairs), "precision": precision, "recall": recall}  # fmt: skip
    append(record, args.results)


if __name__ == "__main__":
    sys.exit(main())
