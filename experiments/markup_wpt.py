"""Tag placement with exact answers: the WPT 2003 dev pairs with random tags, projected through word links.

    python -m experiments.markup_wpt --links eflomal=runs/wpt03-eflomal/dev.eflomal.links \
        [--model attention=EN_FR_PACKAGE[,FR_EN_PACKAGE]]

Each English sentence of the 149 dev pairs gets tags around random spans of 1 to 4 words (several per sentence,
some nested; ``--seed``). A tag's gold target span is the smallest span of French words covering the gold
*sure* links of its words; a tag whose sure-linked French words do not fill that span (broken up) or that has
none is set aside. The tags are then carried to the French sentence, the reference translation, by
``translator.markup`` with each aligner's links (0-indexed Pharaoh files, one line a pair) and by a
length-proportional baseline (English word i to French word round(i * m / n)). A ``--model`` projection reads
its links (``mutual``) and the attention rows behind them from the packages' forced alignment of the dev pairs
(both directions' mean matrix with a reverse package), as the service places tags. Reported per projection:

- exact span match: the tag wraps exactly its gold span, once;
- token F1: the French words it wraps against its gold span's words, micro-averaged over tags;
- tags kept: tags of the input found in the output; tags split: those reopened (their words not contiguous);
- well-formed: outputs that an HTML5 parser reads without a parse error (so without a repair);
- breaks placed right: one sentence in five also gets a ``<br>`` between two words, which stays inside the
  sentence (``translator.markup.extract``); its gold place is after the last French word sure-linked to the
  English word before it (set aside when that word has none).
"""

from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import html5lib
import lxml.etree
import lxml.html

from experiments.alignment_data import GOLD_DIR, read_gold
from experiments.record import append
from translator.alignment.aligner import (
    AlignMethod,
    combined_links,
    force_align_both,
    link_matrix,
    links_of,
    read_links_file,
)
from translator.alignment.forced import force_align
from translator.alignment.links import GoldLinks, Link
from translator.alignment.projection import WordRow, covered_words
from translator.errors import bad_input
from translator.markup import TAG_LINK_RULE, Marked, extract_html, place_tags, render
from translator.translate import Translator

Projection = list[tuple[set[Link], list[WordRow] | None]]  # per pair: its links and its target words' rows

TAGS = ("b", "i", "em", "span")
BREAK_SHARE = 0.2  # the share of sentences that also get a <br> between two of their words
TAG = re.compile(r"<[^>]+>")  # a tag in markup the project wrote (its attribute values hold no ">")


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


def model_projection(spec: str, pairs: Sequence[tuple[str, str]]) -> Projection:
    """``PACKAGE[,REVERSE]`` -> each pair's ``mutual`` links and rows of the matrix they were read from: the
    package's forced attention, or with a reverse package both directions' mean."""
    forward, _, backward = spec.partition(",")
    model = Translator.load(forward)
    method = AlignMethod(TAG_LINK_RULE, symmetrise="mean")
    if not backward:
        fwd = force_align(model.package.model, model.package.tokenizer, pairs)
        return [(links_of(f, method), [WordRow(0, tuple(r)) for r in f.word_matrix()]) for f in fwd]
    fwd, bwd = force_align_both(pairs, model, Translator.load(backward))
    return [
        (combined_links(f, r, method), [WordRow(0, tuple(row)) for row in link_matrix(f, r, method)])
        for f, r in zip(fwd, bwd, strict=True)
    ]


def with_break(tagged: str, rng: random.Random) -> str:
    """``tagged`` with one of the spaces between its words (never one inside a tag) made a ``<br>``."""
    gaps = [m.start() for m in re.finditer(r" (?![^<]*>)", tagged)]
    if not gaps:
        return tagged
    at = rng.choice(gaps)
    return tagged[:at] + "<br>" + tagged[at + 1 :]


def break_counts(output: str, marked: Marked, gold: GoldLinks) -> Counter:
    """A ``<br>`` inside the sentence (``marked``'s one empty element, if any) scored against its gold place:
    after the last French word sure-linked to the English word before it (set aside when that word has none)."""
    if not marked.empty:
        return Counter()
    before = len(marked.text[: marked.empty[0].at].split()) - 1
    linked = [j for i, j in gold.sure if i == before]
    if not linked or "<br>" not in output:
        return Counter(breaks=int(bool(linked)))
    placed = len(TAG.sub("", output[: output.index("<br>")]).split())
    return Counter(breaks=1, breaks_right=placed == max(linked) + 1)


def pair_counts(english: str, french: str, gold: GoldLinks, projection, rng, break_rng) -> Counter:  # noqa: ANN001
    """One pair's tags (and, one pair in five, a ``<br>``) projected: the counts ``score`` sums."""
    en, fr = english.split(), french.split()
    spans = tag_spans(len(en), rng)
    tagged = tagged_source(en, spans)
    marked = extract_html(with_break(tagged, break_rng) if break_rng.random() < BREAK_SHARE else tagged)
    pair_links, rows = projection or (proportional_links(len(en), len(fr)), None)
    target, source_words = " ".join(fr), [(m.start(), m.end()) for m in re.finditer(r"\S+", marked.text)]
    output = render(target, place_tags(marked, source_words, word_spans(fr), sorted(pair_links), target, rows))
    ids = [f'id="{k}"' for k in range(len(spans))]
    found = projected(output, [str(k) for k in range(len(spans))], target)
    out = Counter(formed=well_formed(output), tags=len(spans), kept=sum(i in output for i in ids))
    out.update(split=sum(output.count(i) > 1 for i in ids), **break_counts(output, marked, gold))
    for k, span in enumerate(spans):
        if (answer := gold_span(span, gold)) is not None:
            words, right = found[str(k)], set(range(answer[0], answer[1] + 1))
            out.update(counted=1, exact=words == right and output.count(ids[k]) == 1, hit=len(words & right))
            out.update(wrapped=len(words), golden=len(right))
    return out


def score(pairs, gold, links: Projection | None, seed: int) -> dict[str, float]:  # noqa: ANN001
    """Exact match, token F1, tags kept and split, well-formed outputs and breaks placed right of one
    projection over every pair."""
    rng, break_rng, total = random.Random(seed), random.Random(f"breaks {seed}"), Counter()
    for n, ((english, french), gold_links) in enumerate(zip(pairs, gold)):
        total.update(pair_counts(english, french, gold_links, links[n] if links else None, rng, break_rng))
    precision, recall = total["hit"] / max(total["wrapped"], 1), total["hit"] / max(total["golden"], 1)
    return {
        "exact": total["exact"] / total["counted"],
        "f1": 2 * precision * recall / max(precision + recall, 1e-12),
        "kept": total["kept"] / total["tags"],
        "split": total["split"] / total["tags"],
        "well_formed": total["formed"] / len(pairs),
        "tags": total["counted"],
        "breaks_right": total["breaks_right"] / max(total["breaks"], 1),
        "breaks": total["breaks"],
    }


def mean_row(rows: Sequence[dict[str, float]]) -> dict[str, float]:
    """The mean of several seeds' ``score`` rows, key by key (``tags``: the mean number of tags scored)."""
    return {key: sum(row[key] for row in rows) / len(rows) for key in rows[0]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--links", nargs="*", default=[], help="NAME=FILE: 0-indexed links of the dev pairs")
    p.add_argument("--model", nargs="*", default=[], help="NAME=PACKAGE[,REVERSE]: links and rows of the packages")
    p.add_argument("--gold-dir", default=str(GOLD_DIR))
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--seeds", type=int, default=1, help="average over this many seeds from --seed on")
    p.add_argument("--no-record", action="store_true", help="do not append rows to experiments/results.jsonl")
    args = p.parse_args(argv)
    if args.seeds < 1:
        return bad_input(ValueError("--seeds must be at least 1"))
    try:
        pairs, gold = read_gold(Path(args.gold_dir) / "dev.src-tgt", Path(args.gold_dir) / "dev.gold")
        projections: dict[str, Projection | None] = {"length-proportional": None}
        for item in args.links:
            name, _, path = item.partition("=")
            projections[name] = [(set(g.sure), None) for g in read_links_file(path)]
            if len(projections[name]) != len(pairs):
                raise ValueError(f"{path} has {len(projections[name])} lines for {len(pairs)} pairs")
        for item in args.model:
            name, _, spec = item.partition("=")
            projections[name] = model_projection(spec, pairs)
    except (OSError, ValueError) as err:
        return bad_input(err)
    print("| projection | exact span match % | token F1 % | tags kept % | tags split % | well-formed % | tags scored "
          "| breaks placed right % (scored) |")  # fmt: skip
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    seeds = list(range(args.seed, args.seed + args.seeds))
    for name, links in projections.items():
        row = mean_row([score(pairs, gold, links, seed) for seed in seeds])
        print(f"| {name} | {100 * row['exact']:.2f} | {100 * row['f1']:.2f} | {100 * row['kept']:.2f} | "
              f"{100 * row['split']:.2f} | {100 * row['well_formed']:.2f} | {row['tags']:g} | "
              f"{100 * row['breaks_right']:.2f} ({row['breaks']:g}) |")  # fmt: skip
        if not args.no_record:
            append({"kind": "markup-wpt", "name": f"tag projection: {name}", "seed": args.seed, "seeds": seeds, **row})
    return 0


if __name__ == "__main__":
    sys.exit(main())
