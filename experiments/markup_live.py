"""Live translation with markup: Multi30k val sources with random tags, through the product's markup path.

    python -m experiments.markup_live --model artifacts/default [--data-dir data/multi30k] [--link-rule mutual]

Each val source gets tags around random spans of 1 to 4 of its words (some nested; ``experiments.markup_wpt``'s
construction), and one source in five a ``<br>`` between two of its words. The tagged sources go through the same
path as ``/v1/translate`` with ``format: html`` and ``split: false`` (``translator.markup``: extract, translate
the plain text, place the tags by the translation's word links). A ``<br>`` inside a sentence keeps it whole and
follows the translation of the word before it; with ``--br-splits`` (``splitting_tags: ["br"]``) every ``<br>``
splits its sentence in two.
Reported (Hashimoto et al. 2019 define the last two):

- BLEU and chrF of the tagged inputs' outputs with their tags stripped (a ``<br>``'s two lines joined by a
  space), and of the untagged sources' outputs, against the references, and how many of the two outputs are
  identical (all but those a ``<br>`` split);
- per way of linking (the translation's own links by ``--link-rule``; with ``--reverse PACKAGE``, also both
  directions' forced alignments combined by ``--symmetrise``), structure accuracy: outputs that an HTML5
  parser reads without a parse error and that hold every tag of the input, and the share of tags split (reopened
  around target words that are not contiguous);
- seconds spent translating the tagged sources, and per way of linking placing their tags (forced alignments
  included: what the reverse package costs);
- XML-BLEU against the references with the tags projected onto them through eflomal's links (intersection, over
  Multi30k train plus val): a sentence whose tag structure (the sequence of tags, in order) matches the
  reference's contributes the text of each of its segments, paired with the reference's segment; any other
  sentence contributes empty segments. BLEU over all segments.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections.abc import Sequence

import sacrebleu

from experiments.markup_wpt import BREAK_SHARE, TAG, tag_spans, tagged_source, well_formed, with_break
from experiments.record import append
from experiments.val_set import load_val, val_parser
from translator.alignment.aligner import COMBINATIONS, AlignMethod, documents_links_both
from translator.alignment.links import LINK_RULES, Link
from translator.document import translate_documents
from translator.errors import status_of
from translator.markup import TAG_LINK_RULE, TagOptions, extract, extract_html, marked_translation, place_tags, render
from translator.translate import Translator

BREAK_STAND_IN = '<img alt="br">'  # an empty element that stands for a <br> in the reference's projection


def token_spans(raw: str, tokens: Sequence[str]) -> list[tuple[int, int]]:
    """The character span in ``raw`` of each (lowercased) token, found left to right; a token not found takes
    an empty span where the search stands."""
    lowered, at, spans = raw.lower(), 0, []
    for token in tokens:
        start = lowered.find(token, at)
        if start < 0:
            spans.append((at, at))
            continue
        spans.append((start, start + len(token)))
        at = start + len(token)
    return spans


def structure(markup: str) -> tuple[list[str], list[str]]:
    """The tags of ``markup`` in order and the text segments between them (len(tags) + 1)."""
    return TAG.findall(markup), TAG.split(markup)


def xml_bleu(hyps: Sequence[str], refs: Sequence[str]) -> float:
    """XML-BLEU: segments of structure-matching sentences, empty segments for the others."""
    hyp_segments, ref_segments = [], []
    for hyp, ref in zip(hyps, refs, strict=True):
        (hyp_tags, hyp_parts), (ref_tags, ref_parts) = structure(hyp), structure(ref)
        same = hyp_tags == ref_tags
        for k, ref_part in enumerate(ref_parts):
            if ref_part.strip():
                ref_segments.append(ref_part.strip())
                hyp_segments.append(hyp_parts[k].strip() if same else "")
    return sacrebleu.corpus_bleu(hyp_segments, [ref_segments]).score


def tagged_reference(marked_source: str, reference: str, tokens, links: set[Link]) -> str:  # noqa: ANN001
    """The reference with the tagged source's tags projected onto it through eflomal's token links; a ``<br>``
    (which would split the reference, a single line) goes where an empty element goes: after the word linked to
    the word before it."""
    marked = extract_html(marked_source.replace("<br>", f" {BREAK_STAND_IN} "))
    src_spans = token_spans(marked.text, tokens[0].split())
    ref_spans = token_spans(reference, tokens[1].split())
    placed = place_tags(marked, src_spans, ref_spans, sorted(links), reference)
    return render(reference, placed, marked.breaks).replace(BREAK_STAND_IN, "<br>")


def main(argv: list[str] | None = None) -> int:
    p = val_parser(__doc__.splitlines()[0])
    p.add_argument("--link-rule", choices=LINK_RULES, default=TAG_LINK_RULE, help="the translation's word links")
    p.add_argument("--reverse", help="the opposite pair's package: also place the tags by both directions' links")
    p.add_argument("--symmetrise", choices=COMBINATIONS, default="grow-diag-final", help="with --reverse")
    p.add_argument("--br-splits", action="store_true", help="every <br> splits its sentence (splitting_tags: br)")
    args = p.parse_args(argv)
    return status_of(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    val = load_val(args)
    translator, src, tgt, sources, references = val.translator, val.src, val.tgt, val.sources, val.references
    tokens, links = val.tokens, val.links
    rng = random.Random(args.seed)
    tagged = [_tagged(source, rng) for source in sources]
    plain = [d.text for d in translate_documents(translator, sources, split=False)]
    options = TagOptions(splitting_tags=("br",) if args.br_splits else ())
    marked = [extract(t, "html", options) for t in tagged]
    started = time.perf_counter()
    documents = translate_documents(translator, [m.text for m in marked], split=False, lines=True)
    translate_s = time.perf_counter() - started
    stripped = [d.text.replace("\n", " ") for d in documents]  # a <br>'s two lines, as one line of text
    tag_refs = [tagged_reference(t, r, (tokens[0][n], tokens[1][n]), links[n])
                for n, (t, r) in enumerate(zip(tagged, references))]  # fmt: skip
    common = {
        "bleu_untagged": sacrebleu.corpus_bleu(plain, [references]).score,
        "bleu_tagged_stripped": sacrebleu.corpus_bleu(stripped, [references]).score,
        "chrf_untagged": sacrebleu.corpus_chrf(plain, [references]).score,
        "chrf_tagged_stripped": sacrebleu.corpus_chrf(stripped, [references]).score,
        "identical": sum(a == b for a, b in zip(plain, stripped)) / len(plain),
        "breaks": sum("<br>" in t for t in tagged),
        "tags": sum(len(m.inline) for m in marked),
        "translate_s": translate_s,
    }
    print(f"{src}->{tgt} val, {len(sources)} sentences, {common['tags']} tags")
    for key, value in common.items():
        print(f"  {key}: {value:.4f}" if isinstance(value, float) else f"  {key}: {value}")
    ways = {args.link_rule: lambda docs: [None] * len(docs)}
    if args.reverse:  # also the tags placed by both directions' links
        reverse, method = Translator.load(args.reverse), AlignMethod(args.link_rule, symmetrise=args.symmetrise)
        ways[f"{args.link_rule} + reverse {args.symmetrise}"] = lambda docs: documents_links_both(
            docs, translator, reverse, method
        )
    for name, word_links in ways.items():
        started = time.perf_counter()
        pairs = zip(documents, marked, word_links(documents), strict=True)
        outputs = [marked_translation(d, m, args.link_rule, None, links)[0] for d, m, links in pairs]
        row = {**common, "place_s": time.perf_counter() - started, **_tag_scores(outputs, tagged, tag_refs)}
        print(f"  links {name}: structure accuracy {row['structure_accuracy']:.4f}, XML-BLEU {row['xml_bleu']:.2f}, "
              f"tags split {100 * row['split_tags']:.2f} %, tags placed in {row['place_s']:.1f} s")  # fmt: skip
        label = f"markup live {name}" + (", every <br> splits" if args.br_splits else "")
        append({"name": label, "pair": f"{src}-{tgt}", "model": str(args.model),
                "sentences": len(sources), **row}, args.results)  # fmt: skip


def _tagged(source: str, rng: random.Random) -> str:
    """A val source as HTML with random tags (``experiments.markup_wpt``'s construction) and, one in
    ``BREAK_SHARE``, a ``<br>`` between two of its words."""
    words = [w.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for w in source.split()]
    marked_up = tagged_source(words, tag_spans(len(words), rng))
    return with_break(marked_up, rng) if rng.random() < BREAK_SHARE else marked_up


def _tag_scores(outputs: Sequence[str], tagged: Sequence[str], tag_refs: Sequence[str]) -> dict[str, float]:
    """Structure accuracy (HTML5-clean, every input tag kept), XML-BLEU, and the share of the input's tags that
    were split (reopened around words that are not contiguous in the translation) in tagged outputs."""
    kept = sum(
        well_formed(out) and set(TAG.findall(source)) <= set(TAG.findall(out)) for out, source in zip(outputs, tagged)
    )
    opening = [[t for t in TAG.findall(source) if not t.startswith("</")] for source in tagged]
    split = sum(out.count(t) > 1 for out, tags in zip(outputs, opening) for t in tags)
    return {
        "structure_accuracy": kept / len(outputs),
        "xml_bleu": xml_bleu(outputs, tag_refs),
        "split_tags": split / max(sum(map(len, opening)), 1),
    }


if __name__ == "__main__":
    sys.exit(main())
