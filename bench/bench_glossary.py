"""How fast is glossary matching with a large glossary? Prints build time and milliseconds per sentence.

    python -m bench.bench_glossary [--entries 100000] [--data-dir data/multi30k]

The glossary holds ``--entries`` random terms of 1 to 3 words drawn from the German side of Multi30k train
(targets are placeholders); the sentences matched are the German side of ``val``.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

from translator.files import read_lines
from translator.glossary import Glossary, find_terms, term_key


def random_entries(vocabulary: list[str], count: int, seed: int = 0) -> list[tuple[str, str]]:
    """``count`` distinct terms of 1-3 words from ``vocabulary``, each with a placeholder target."""
    rng, entries, seen = random.Random(seed), [], set()
    while len(entries) < count:
        term = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(1, 3)))
        key = term_key(term)
        if key and key not in seen:
            seen.add(key)
            entries.append((term, f"T{len(entries)}"))
    return entries


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--data-dir", default="data/multi30k", type=Path)
    args = parser.parse_args(argv)
    try:
        train = read_lines(args.data_dir / "train.de")
        sentences = read_lines(args.data_dir / "val.de")
    except ValueError as err:
        print(f"error: {err} (make data)", file=sys.stderr)
        return 2
    vocabulary = sorted({word for line in train for word in line.split()})
    entries = random_entries(vocabulary, args.entries)
    start = time.perf_counter()
    glossary = Glossary(entries)
    built = time.perf_counter() - start
    start = time.perf_counter()
    matches = sum(len(find_terms(sentence, glossary)) for sentence in sentences)
    per_sentence = 1000 * (time.perf_counter() - start) / len(sentences)
    print(f"{len(glossary)} entries built in {built:.2f} s; {len(sentences)} sentences, {per_sentence:.3f} ms each, "
          f"{matches} matches")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
