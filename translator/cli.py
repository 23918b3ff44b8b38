"""Command line: ``python -m translator {translate,evaluate,heatmap,align,aer}`` (align and aer: ``cli_align``).

Every error (missing or corrupt package, missing files, mismatched corpora, bad arguments) prints
one ``error: ...`` line on stderr and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from tqdm import tqdm

from translator.alignment import cli as cli_align
from translator.alignment.aligner import COMBINATIONS, AlignMethod, documents_links_both
from translator.alignment.links import DEFAULT_LINK_RULE, LINK_RULES
from translator.config import MAX_BEAM, n_best_problem
from translator.document import DocumentTranslation, document_json, translate_documents
from translator.errors import bad_input
from translator.evaluate import EvaluationError, evaluate_files
from translator.files import read_stdin_lines
from translator.glossary import CONSTRAIN, GLOSSARY_METHODS, glossary_translation, read_glossary_file, term_constraints
from translator.heatmap import render_heatmap
from translator.markup import (
    MARKUP_FORMATS,
    TAG_LINK_RULE,
    TAG_SYMMETRISE,
    Marked,
    MarkupError,
    TagOptions,
    default_link_rule,
    extract,
    marked_translation,
)
from translator.markup.place import WordLinks
from translator.package import PackageError
from translator.translate import Translator

CHUNK_LINES = 200  # input lines translated per call (their sentences form one batched call)
PROGRESS_MIN_LINES = 300  # a progress bar on stderr (a terminal) for inputs longer than this


def _beam(value: str) -> int:
    beam = int(value)
    if not 1 <= beam <= MAX_BEAM:
        raise argparse.ArgumentTypeError(f"beam size must be between 1 and {MAX_BEAM}")
    return beam


def _n_best_lines(line: int, document: DocumentTranslation) -> list[str]:
    """``LINE ||| SENTENCE ||| translation ||| score`` for every alternative of every sentence (0-indexed)."""
    return [
        f"{line} ||| {j} ||| {alt.text} ||| {alt.score:.6f}"
        for j, sentence in enumerate(document.sentences)
        for alt in sentence.translation.alternatives
    ]


TAG_OPTION_HELP = {
    "ignore_tags": "with --format html or xml: comma-separated elements kept untranslated, with their content",
    "non_splitting_tags": "with --format html or xml: comma-separated block elements that do not split sentences",
    "splitting_tags": "with --format html or xml: comma-separated elements that split sentences (XML has none)",
}


def _marked_lines(lines: list[str], args: argparse.Namespace) -> list[Marked]:
    """Every input line taken apart into text and tags (MarkupError naming the first line that cannot be read)."""
    options = TagOptions(*(tuple(filter(None, getattr(args, key).split(","))) for key in TAG_OPTION_HELP))
    marked = []
    for number, line in enumerate(lines, 1):
        try:
            marked.append(extract(line, args.format, options))
        except MarkupError as err:
            raise MarkupError(f"line {number}: {err}") from None
    return marked


def _tag_links(
    args: argparse.Namespace, translator: Translator
) -> Callable[[list[DocumentTranslation]], list[WordLinks] | list[None]]:
    """How the tags of ``--format html|xml`` find their words, per document: the translation's own links
    (None), or with ``--reverse-model`` (the opposite pair's package) both directions' links, combined by
    ``--symmetrise``."""
    if args.reverse_model is None:
        return lambda documents: [None] * len(documents)
    if args.format not in MARKUP_FORMATS:
        raise ValueError("--reverse-model places tags: use it with --format html or xml")
    reverse = Translator.load(args.reverse_model)
    source, target = translator.metadata["src_lang"], translator.metadata["tgt_lang"]
    if (reverse.metadata["src_lang"], reverse.metadata["tgt_lang"]) != (target, source):
        raise ValueError(f"--reverse-model must translate {target}->{source}")
    method = AlignMethod(args.link_rule, symmetrise=args.symmetrise)
    return lambda documents: documents_links_both(documents, translator, reverse, method)


def _translate(args: argparse.Namespace) -> int:
    """Each input line is a text (a sentence or a paragraph): split into sentences, translated in batches of
    ``CHUNK_LINES`` lines, put back together; one output line (or JSON object) per input line."""
    translator = Translator.load(args.model)
    lines = read_stdin_lines()
    if args.link_rule is None:
        args.link_rule = default_link_rule(args.format)
    beam = args.beam_size or translator.package.decode_cfg.beam_size
    if problem := n_best_problem(args.n_best, beam):
        raise EvaluationError(f"--n-best: {problem}")
    glossary = read_glossary_file(args.glossary) if args.glossary else None
    constrained = glossary is not None and args.glossary_method == CONSTRAIN  # the search writes the terms
    tok = translator.package.tokenizer
    constraints_of = (lambda sentence: term_constraints(sentence, glossary, tok)) if constrained else None
    replaced = None if constrained else glossary
    all_marked = _marked_lines(lines, args) if args.format in MARKUP_FORMATS else None  # all read before any output
    tag_links = _tag_links(args, translator)
    show = sys.stderr.isatty() and len(lines) > PROGRESS_MIN_LINES
    with tqdm(total=len(lines), unit="line", disable=not show, file=sys.stderr) as bar:
        for start in range(0, len(lines), CHUNK_LINES):
            chunk = lines[start : start + CHUNK_LINES]
            marked = all_marked[start : start + CHUNK_LINES] if all_marked else None
            texts = [m.text for m in marked] if marked else chunk
            documents = translate_documents(
                translator, texts, args.beam_size, args.n_best, not args.no_split, constraints_of, bool(marked)
            )
            placing = tag_links(documents) if marked and not args.json else [None] * len(documents)
            for i, (document, links) in enumerate(zip(documents, placing, strict=True), start):
                if marked and not args.json:
                    print(marked_translation(document, marked[i - start], args.link_rule, replaced, links)[0])
                elif replaced is not None and not args.json:
                    print(glossary_translation(document, replaced, args.link_rule)[0])
                elif args.json:
                    print(json.dumps(document_json(document, link_rule=args.link_rule), ensure_ascii=False))
                elif args.n_best > 1:
                    print("\n".join(_n_best_lines(i, document)))
                else:
                    print(document.text)
            bar.update(len(chunk))
    sys.stdout.flush()
    return 0


def _evaluate(args: argparse.Namespace) -> int:
    src, ref, translator = args.src, args.ref, None
    if args.split:  # the package names the languages: load it once, here, and decode with it below
        translator = Translator.load(args.model)
        meta = translator.metadata
        data = Path(args.data_dir)
        src, ref = data / f"{args.split}.{meta['src_lang']}", data / f"{args.split}.{meta['tgt_lang']}"
    if not src or not ref:
        raise EvaluationError("give --src and --ref, or --split")
    report = evaluate_files(args.model, src, ref, beam_size=args.beam_size, hyp_out=args.hyp_out, translator=translator)
    if args.report:
        Path(args.report).write_text(json.dumps(report, indent=2), encoding="utf-8")
    if args.json:
        print(json.dumps(report))
    else:
        print(f"BLEU {report['bleu']:.2f}  chrF {report['chrf']:.2f}  ({report['sentences']} sentences)")
        print(f"BLEU signature: {report['signature']}")
        print(f"chrF signature: {report['chrf_signature']}")
    return 0


def _heatmap(args: argparse.Namespace) -> int:
    if not args.text.strip():
        raise EvaluationError("--text is empty")
    result = Translator.load(args.model).translate([args.text], beam_size=args.beam_size)[0]
    render_heatmap(result.source_tokens, result.target_tokens, result.alignment, args.out, title=result.text)
    print(f"{result.text}\nwrote {args.out}")
    return 0


def _translate_parser(sub: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """The ``translate`` command's options (``--model`` and ``--beam-size``: ``build_parser``)."""
    tr = sub.add_parser("translate", help="translate stdin, one text (sentence or paragraph) per line")
    tr.add_argument("--json", action="store_true", help="one JSON object per line, with tokens and alignment")
    tr.add_argument(
        "--n-best",
        type=int,
        default=1,
        help="alternatives per sentence (at most the beam): LINE ||| SENTENCE ||| text ||| score",
    )
    tr.add_argument("--no-split", action="store_true", help="do not split lines into sentences")
    tr.add_argument(
        "--format",
        choices=("text", *MARKUP_FORMATS),
        default="text",
        help="html or xml: each line is a fragment whose tags are carried to the translation (as /v1/translate)",
    )
    for option, meaning in TAG_OPTION_HELP.items():
        tr.add_argument(f"--{option.replace('_', '-')}", default="", metavar="A,B", help=meaning)
    tr.add_argument("--glossary", help="TSV file of source<TAB>target terms the translation must use")
    tr.add_argument(
        "--glossary-method",
        choices=GLOSSARY_METHODS,
        default=GLOSSARY_METHODS[0],
        help="replace: put terms in place of the words linked to them; constrain: constrained beam search",
    )
    tr.add_argument(
        "--link-rule",
        choices=LINK_RULES,
        help=f"how --json reads each sentence's word_links from its word matrix (as /v1/translate's link_rule); "
        f"default {DEFAULT_LINK_RULE}, with --format html or xml {TAG_LINK_RULE} (the tags follow it)",
    )
    tr.add_argument("--reverse-model", help="with --format html or xml: the opposite pair's package; the tags follow "
                    "both directions' links")  # fmt: skip
    tr.add_argument("--symmetrise", choices=COMBINATIONS, default=TAG_SYMMETRISE, help="with --reverse-model")
    return tr


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m translator", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    tr = _translate_parser(sub)
    ev = sub.add_parser("evaluate", help="BLEU and chrF of a package on a parallel corpus")
    ev.add_argument("--src", help="source file, one sentence per line")
    ev.add_argument("--ref", help="reference file, one sentence per line")
    ev.add_argument("--split", help="a Multi30k split name (e.g. test_2016_flickr) read from --data-dir")
    ev.add_argument("--data-dir", default="data/multi30k")
    ev.add_argument("--hyp-out", help="write the hypotheses here")
    ev.add_argument("--report", help="write the JSON report here")
    ev.add_argument("--json", action="store_true", help="print the report as one JSON object")
    hm = sub.add_parser("heatmap", help="write the alignment of one sentence as a PNG")
    hm.add_argument("--text", required=True)
    hm.add_argument("--out", required=True)
    cli_align.add_commands(sub)
    for command in (tr, ev, hm):
        command.add_argument(
            "--model", required=True, nargs="+", help="model package directory; several: decode them as an ensemble"
        )
        command.add_argument("--beam-size", type=_beam, default=None)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handlers = {
        "translate": _translate,
        "evaluate": _evaluate,
        "heatmap": _heatmap,
        "align": cli_align.run_align,
        "aer": cli_align.run_aer,
    }
    try:
        return handlers[args.command](args)
    except (PackageError, EvaluationError, OSError, ValueError) as err:
        return bad_input(err)
