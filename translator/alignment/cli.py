"""Command line for word alignment: ``python -m translator align`` and ``python -m translator aer``.

``align`` reads ``source ||| target`` lines (stdin, ``--input``) or two parallel files (``--src``, ``--tgt``)
and writes one line of Pharaoh links (``i-j``, 0-indexed) per pair, or with ``--json`` one object per pair
with the piece-level and word-level matrices. ``aer`` scores predicted links against gold links. Output is
written only once every pair has been read and aligned, so an error leaves nothing half-written.
"""

from __future__ import annotations

import argparse
import json
import sys

from translator.alignment.aligner import (
    COMBINATIONS,
    AlignMethod,
    align_pairs,
    alignment_json,
    check_links_fit,
    read_links_file,
    read_pairs_file,
    split_pair,
)
from translator.alignment.links import RULES, alignment_error_rate, format_links
from translator.files import TextFileError, read_lines, read_stdin_lines
from translator.translate import Translator


def read_pairs(args: argparse.Namespace) -> list[tuple[str, str]]:
    """The pairs to align, from ``--src``/``--tgt``, ``--input`` or stdin."""
    if bool(args.src) != bool(args.tgt):
        raise TextFileError("give both --src and --tgt, or neither")
    if args.src:
        src, tgt = read_lines(args.src), read_lines(args.tgt)
        if len(src) != len(tgt):
            raise TextFileError(f"{args.src} has {len(src)} lines but {args.tgt} has {len(tgt)}")
        return list(zip(src, tgt, strict=True))
    if args.input:
        return read_pairs_file(args.input)
    return [split_pair(line, f"line {n + 1}: ") for n, line in enumerate(read_stdin_lines())]


def run_align(args: argparse.Namespace) -> int:
    method = AlignMethod(args.rule, args.threshold, args.shift, args.symmetrise)
    pairs = read_pairs(args)
    forward = Translator.load(args.model)
    backward = Translator.load(args.reverse_model) if args.reverse_model else None
    links, forced = align_pairs(pairs, forward, method, backward)
    if args.json:
        out = [
            json.dumps(alignment_json(a, pair_links, method.shift), ensure_ascii=False)
            for a, pair_links in zip(forced, links, strict=True)
        ]
    else:
        out = [format_links(pair_links) for pair_links in links]
    sys.stdout.write("".join(line + "\n" for line in out))
    return 0


def run_aer(args: argparse.Namespace) -> int:
    gold, pred = read_links_file(args.gold, args.one_indexed_gold), read_links_file(args.pred)
    if len(gold) != len(pred):
        raise TextFileError(f"{args.gold} has {len(gold)} lines but {args.pred} has {len(pred)}")
    if args.pairs:
        pairs = read_pairs_file(args.pairs)
        check_links_fit(pairs, gold, args.gold)
        check_links_fit(pairs, pred, args.pred)
    score = alignment_error_rate(gold, [p.sure | p.possible for p in pred])
    if args.json:
        print(json.dumps(score.__dict__))
    else:
        print(f"AER {score.aer:.4f}  precision {score.precision:.4f}  recall {score.recall:.4f}  ({score.pairs} pairs)")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``align`` and ``aer`` on the CLI's subparsers."""
    al = sub.add_parser("align", help="word links of given sentence pairs (forced alignment)")
    al.add_argument("--model", required=True, nargs="+", help="package(s) translating source -> target")
    al.add_argument("--reverse-model", nargs="+", help="package(s) translating target -> source: combine directions")
    al.add_argument("--input", help="a file of 'source ||| target' lines (default: standard input)")
    al.add_argument("--src", help="source sentences, one per line (with --tgt)")
    al.add_argument("--tgt", help="target sentences, one per line (with --src)")
    al.add_argument("--rule", choices=RULES, default=AlignMethod.rule)
    al.add_argument("--threshold", type=float, default=AlignMethod.threshold, help="weight for --rule threshold")
    al.add_argument("--shift", action="store_true", help="use the attention of the step after each target piece")
    al.add_argument(
        "--symmetrise",
        choices=COMBINATIONS,
        default=AlignMethod.symmetrise,
        help="links: intersection, union, grow-diag-final; mean: the two word matrices averaged before --rule",
    )
    al.add_argument("--json", action="store_true", help="one JSON object per pair with the soft matrices")
    ae = sub.add_parser("aer", help="alignment error rate, precision and recall of predicted links")
    ae.add_argument("--gold", required=True, help="gold links: i-j sure, ipj possible, one pair a line")
    ae.add_argument("--pred", required=True, help="predicted links, 0-indexed Pharaoh format")
    ae.add_argument("--one-indexed-gold", action="store_true", help="the gold file counts words from 1")
    ae.add_argument("--pairs", help="the 'source ||| target' file: links past a sentence's words are errors")
    ae.add_argument("--json", action="store_true", help="print one JSON object")
