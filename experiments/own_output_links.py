"""Word links of the model's own translations against eflomal's on the same pairs (what the page and the
``word_links`` of ``/v1/translate`` show, not forced alignment).

    python -m experiments.own_output_links --model artifacts/en-fr [--sentences 200]

The first ``--sentences`` val sources are translated (beam 5). Each translation's links are read from its
attention by ``argmax`` (the shipped default) and by ``mutual``. eflomal runs over Multi30k train of the pair
plus the (source, translation) pairs, all as lowercased whitespace words (the words the translation's links
index), and its intersection links are the reference. Reported: precision and recall of each rule against
eflomal, and the most frequent kinds of disagreement, with an example each:

- ``punctuation``: a link whose source or target word holds no letter or digit;
- ``neighbour``: a link one target word away from one of eflomal's for the same source word;
- ``unlinked by eflomal``: a link of a source word eflomal links to nothing;
- ``missed``: an eflomal link of a source word the rule links to nothing;
- ``other``: any other disagreement.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections import Counter
from collections.abc import Sequence

from experiments.eflomal_baseline import eflomal_on, reference_links
from experiments.link_agreement import agreement
from experiments.record import append
from experiments.val_set import val_parser
from translator.alignment.links import LINK_RULES, Link
from translator.document import DocumentTranslation, document_links, translate_documents
from translator.errors import status_of
from translator.files import read_lines
from translator.translate import Translator

WORDLESS = re.compile(r"^\W+$")


def kind(link: Link, ours: set[Link], theirs: set[Link], words: tuple[list[str], list[str]]) -> str:
    """The kind of one disagreement (a link in ``ours`` xor ``theirs``), as the module doc names them."""
    i, j = link
    if WORDLESS.match(words[0][i]) or WORDLESS.match(words[1][j]):
        return "punctuation"
    if link in ours:
        theirs_of_i = {b for a, b in theirs if a == i}
        if not theirs_of_i:
            return "unlinked by eflomal"
        return "neighbour" if any(abs(b - j) == 1 for b in theirs_of_i) else "other"
    return "missed" if not any(a == i for a, _ in ours) else "other"


def compare(
    rule_links: Sequence[set[Link]], eflomal: Sequence[set[Link]], words: Sequence[tuple[list[str], list[str]]]
) -> tuple[float, float, Counter, dict[str, str]]:
    """Precision and recall of ``rule_links`` against ``eflomal``, the kinds of disagreement and an example of
    each (``source word -> target word`` in its sentence)."""
    kinds: Counter = Counter()
    examples: dict[str, str] = {}
    for ours, theirs, pair in zip(rule_links, eflomal, words, strict=True):
        for link in sorted(ours ^ theirs):
            name = kind(link, ours, theirs, pair)
            kinds[name] += 1
            side = "model" if link in ours else "eflomal"
            examples.setdefault(
                name, f"{pair[0][link[0]]} -> {pair[1][link[1]]} ({side} only) in '{' '.join(pair[0])}'"
            )
    precision, recall = agreement(rule_links, eflomal)
    return precision, recall, kinds, examples


def _words_agree(document: DocumentTranslation) -> bool:
    source_words, target_words, _ = document_links(document, LINK_RULES[0])
    return len(source_words) == len(document.source.split()) and len(target_words) == len(document.text.split())


def main(argv: list[str] | None = None) -> int:
    p = val_parser(__doc__.splitlines()[0])
    p.add_argument("--sentences", type=int, default=200, help="val sentences translated")
    args = p.parse_args(argv)
    return status_of(lambda: run(args))


def run(args: argparse.Namespace) -> None:
    translator = Translator.load(args.model)
    src, tgt = translator.metadata["src_lang"], translator.metadata["tgt_lang"]
    sources = read_lines(args.data_dir / f"val.{src}")[: args.sentences]
    translated = translate_documents(translator, sources, beam_size=5, split=False)
    documents = [d for d in translated if _words_agree(d)]  # the links index whitespace words: same words only
    words = [(d.source.lower().split(), d.text.lower().split()) for d in documents]
    train = list(zip(*(read_lines(args.data_dir / f"train.{lang}") for lang in (src, tgt))))
    lowered = [(s.lower(), t.lower()) for s, t in train]
    forward, reverse = eflomal_on(lowered, [(" ".join(s), " ".join(t)) for s, t in words])
    eflomal = reference_links(forward, reverse)
    print(f"{src}->{tgt}: {len(documents)} val sentences ({len(translated) - len(documents)} whose pieces make other "
          "words than their spaces left out), beam 5, against eflomal intersection")  # fmt: skip
    for rule in LINK_RULES:
        links = [{tuple(link) for link in document_links(d, rule)[2]} for d in documents]
        precision, recall, kinds, examples = compare(links, eflomal, words)
        print(f"\n{rule}: precision {100 * precision:.2f} %, recall {100 * recall:.2f} %")
        for name, count in kinds.most_common(3):
            print(f"  {name}: {count}, e.g. {examples[name]}")
        append({"kind": "alignment", "name": f"own output {rule} vs eflomal", "pair": f"{src}-{tgt}",
                "model": str(args.model), "sentences": len(documents), "precision": precision, "recall": recall,
                "disagreements": dict(kinds)}, args.results)  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
