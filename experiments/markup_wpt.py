"""Tag placement with exact answers: the WPT 2003 dev pairs with random tags, projected through word links.

    python -m experiments.markup_wpt --links eflomal=runs/wpt03-eflomal/dev.eflomal.links [--links attention=FILE]

Each English sentence of the 149 dev pairs gets tags around random spans of 1 to 4 words (several per sentence,
some nested; ``--seed``). A tag's gold target span is the smallest span of French words covering the gold
*sure* links of its words; a tag whose sure-linked French words do not fill that span (broken up) or that has
none is set aside. The tags are then carried to the French sentence, the reference translation, by
``translator.markup`` with each aligner's links (0-indexed Pharaoh files, one line a pair) and by a
length-proportional baseline (English word i to French word round(i * m / n)). Reported per projection:

- exact span match: the tag wraps exactly its gold span, once;
- token F1: the French words it wraps against its gold span's words, micro-averaged over tags;
- tags kept: tags of the input found in the output; tags split: those reopened (their words not contiguous);
- well-formed: outputs that an HTML5 parser reads without a parse error (so without a repair).
"""

from __future__ import annotations

import argparse
import random
import sys
from collections.abc import Sequence
from pathlib import Path

import html5lib
import lxml.etree
import lxml.html

from experiments.alignment_data import GOLD_DIR, read_gold
from experiments.record import append
from translator.alignment.aligner import read_links_file
from translator.alignment.links import GoldLinks, Link
from translator.alignment.projection import covered_words
from translator.errors import bad_input
from translator.markup import extract_html, place_tags, render

TAGS = ("b", "i", "em", "span")


def word_spans(words: Sequence[str]) -> list[tuple[int, int]]:
    """Character spans of space-joined words."""
    spans, at = [], 0
    for word in words:
        spans.append((at, at + len(word)))
        at += len(word) + 1
    return spans


def tag_spans(n: int, rng: random.Random) -> list[tuple[int, int]]:
    """Random word spans [first, last] of 1-4 words for a sentence of ``n`` words: about one per 6 words,
    each either disjoint from the others or inside one of them (tags nest, never cross)."""
    spans: list[tuple[int, int]] = []
    for _ in range(max(1, n // 6)):
        first = rng.randrange(n)
        span = (first, min(n - 1, first + rng.randint(0, 3)))
        if all(span[1] < a or span[0] > b or (a <= span[0] and span[1] <= b) for a, b in spans):
            spans.append(span)
    return spans


def tagged_source(words: Sequence[str], spans: Sequence[tuple[int, int]]) -> str:
    """The sentence as HTML with tag k (``id="k"``) around words spans[k] (outer spans open first)."""
    opens: dict[int, list[str]] = {}
    closes: dict[int, list[str]] = {}
    for k, (first, last) in sorted(enumerate(spans), key=lambda item: (item[1][0], -item[1][1])):
        name = TAGS[k % len(TAGS)]
        opens.setdefault(first, []).append(f'<{name} id="{k}">')
        closes.setdefault(last, []).insert(0, f"</{name}>")
    return " ".join("".join(opens.get(i, [])) + word + "".join(closes.get(i, [])) for i, word in enumerate(words))


def gold_span(span: tuple[int, int], gold: GoldLinks) -> tuple[int, int] | None:
    """The French words covering the sure links of ``span``'s words, or None when none or broken up."""
    target = {j for i, j in gold.sure if span[0] <= i <= span[1]}
    if not target or len(target) != max(target) - min(target) + 1:
        return None
    return min(target), max(target)


def proportional_links(n: int, m: int) -> set[Link]:
    """English word i linked to French word round(i * m / n): the length-proportional baseline."""
    return {(i, min(m - 1, round(i * m / n))) for i in range(n)}


def well_formed(markup: str) -> bool:
    """An HTML5 parser (html5lib, strict) reads ``markup`` without a parse error, so without a repair."""
    try:
        html5lib.HTMLParser(strict=True, namespaceHTMLElements=False).parseFragment(markup, container="div")
    except html5lib.html5parser.ParseError:
        return False
    return True


def projected(output: str, ids: Sequence[str], target: str) -> dict[str, set[int]]:
    """For each tag id, the French words (indices) its elements wrap in ``output``."""
    root = lxml.html.fragment_fromstring(output, create_parent="div")
    found: dict[str, set[int]] = {k: set() for k in ids}
    spans, offsets = word_spans(target.split()), []
    _walk_offsets(root, 0, offsets)
    for element, start, end in offsets:
        if element.get("id") in found:
            found[element.get("id")] |= set(covered_words((start, end), spans))
    return found


def _walk_offsets(element: lxml.etree._Element, at: int, out: list) -> int:
    """Record (element, start, end) text offsets of every descendant of ``element``; returns the end offset."""
    at += len(element.text or "")
    for child in element:
        start = at
        at = _walk_offsets(child, at, out)
        out.append((child, start, at))
        at += len(child.tail or "")
    return at


def score(pairs, gold, links: Sequence[set[Link]] | None, seed: int) -> dict[str, float]:  # noqa: ANN001
    """Exact match, token F1, tags kept and well-formed outputs of one projection over every pair."""
    rng = random.Random(seed)
    exact = counted = hit = wrapped = golden = kept = tags = formed = split = 0
    for n, ((english, french), gold_links) in enumerate(zip(pairs, gold)):
        en, fr = english.split(), french.split()
        spans = tag_spans(len(en), rng)
        marked = extract_html(tagged_source(en, spans))
        pair_links = sorted(links[n] if links is not None else proportional_links(len(en), len(fr)))
        target = " ".join(fr)
        output = render(target, place_tags(marked, word_spans(en), word_spans(fr), pair_links, target))
        formed += well_formed(output)
        found = projected(output, [str(k) for k in range(len(spans))], target)
        tags += len(spans)
        kept += sum(f'id="{k}"' in output for k in range(len(spans)))
        split += sum(output.count(f'id="{k}"') > 1 for k in range(len(spans)))
        for k, span in enumerate(spans):
            answer = gold_span(span, gold_links)
            if answer is None:
                continue
            words, right = found[str(k)], set(range(answer[0], answer[1] + 1))
            counted += 1
            exact += words == right and output.count(f'id="{k}"') == 1
            hit, wrapped, golden = hit + len(words & right), wrapped + len(words), golden + len(right)
    precision, recall = hit / max(wrapped, 1), hit / max(golden, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-12)
    return {
        "exact": exact / counted,
        "f1": f1,
        "kept": kept / tags,
        "split": split / tags,
        "well_formed": formed / len(pairs),
        "tags": counted,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--links", nargs="*", default=[], help="NAME=FILE: 0-indexed links of the dev pairs")
    p.add_argument("--gold-dir", default=str(GOLD_DIR))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--no-record", action="store_true", help="do not append rows to experiments/results.jsonl")
    args = p.parse_args(argv)
    try:
        pairs, gold = read_gold(Path(args.gold_dir) / "dev.src-tgt", Path(args.gold_dir) / "dev.gold")
        projections = {"length-proportional": None}
        for item in args.links:
            name, _, path = item.partition("=")
            projections[name] = [g.sure for g in read_links_file(path)]
            if len(projections[name]) != len(pairs):
                raise ValueError(f"{path} has {len(projections[name])} lines for {len(pairs)} pairs")
    except (OSError, ValueError) as err:
        return bad_input(err)
    print("| projection | exact span match % | token F1 % | tags kept % | tags split % | well-formed % | tags scored |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name, links in projections.items():
        row = score(pairs, gold, links, args.seed)
        print(f"| {name} | {100 * row['exact']:.2f} | {100 * row['f1']:.2f} | {100 * row['kept']:.2f} | "
              f"{100 * row['split']:.2f} | {100 * row['well_formed']:.2f} | {row['tags']} |")  # fmt: skip
        if not args.no_record:
            append({"kind": "markup-wpt", "name": f"tag projection: {name}", "seed": args.seed, **row})
    return 0


if __name__ == "__main__":
    sys.exit(main())
