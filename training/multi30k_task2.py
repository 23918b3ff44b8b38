"""Multi30k task 2 as monolingual text: in-domain captions for back-translation.

    python -m training.multi30k_task2 --lang en --out data/mono/task2.en

Task 2 holds five English and five German captions of each task-1 training image, written independently
(comparable, not parallel). For one language this fetches the five files (``MULTI30K_TASK2_MIRROR``, a local
folder or an http(s) base URL; each checked against its recorded SHA-256) and writes the captions that are
new text: it drops every line equal to a task-1 training sentence of that language (those already have their
translation), every line equal to a task-1 ``val`` or ``test_2016_flickr`` sentence in either language (never
train on them), repeated lines (the first is kept) and empty lines. It prints how many each rule dropped.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path

from training.config import DataConfig
from training.downloads import CorpusError
from training.multi30k import fetch_split, resolve_mirror
from translator.errors import bad_input
from translator.files import atomic_write_text, read_lines

TASK2_MIRROR_ENV = "MULTI30K_TASK2_MIRROR"
UPSTREAM_TASK2 = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task2/raw"
LANGS = ("en", "de")
FILES = 5  # train.1 ... train.5: one caption of every training image each
HELD_OUT_SPLITS = ("val", "test_2016_flickr")

# SHA-256 of every mirrored file (upstream multi30k/dataset, commit a3d2e0d26b56f3846f66a952536ffed4e401d05a).
CHECKSUMS: dict[str, str] = {
    "train.1.de.gz": "0002241b52aba5160c08d644ea0d64a9bf46a2dfffcf619c9e3cdaa55b357004",
    "train.1.en.gz": "a0e057f07a9733199c0d755d77f6d583dc6f40a3180734b1130a216e2fdf3a3b",
    "train.2.de.gz": "ac7c29258b90aec0b64d677c5bfc831fc402e6296d0aa9cc7a3433ddbff85c37",
    "train.2.en.gz": "d79dd70a9eafb2d1fe40151621278c4ae69b3c148c5052a53d7c7a41bf3ba023",
    "train.3.de.gz": "ec5e6508813814aa31311b34e26e24f903dd7701f8d0668313259b7f975d7aa0",
    "train.3.en.gz": "86e16fdcc699bcb6bca0f87c3cf1051f7de5ee3674dd588cedc5200194282749",
    "train.4.de.gz": "bcee8ac6eb47d8a7dc8cff47d9a0fbd80b4363cfda22021bacd297f9604221a4",
    "train.4.en.gz": "3771b84e010ad6197806d2a1188cb07c12149e3e0d178dd5966dee5763733686",
    "train.5.de.gz": "dccb0ca6ff25e0b1f0d385f59fb809184e0db89622d88371725e3ec46d43bfc0",
    "train.5.en.gz": "73988689307fe836994eae59735dc840c15da9775455fa76e6ed22606a042a91",
}


def new_captions(captions: Iterable[str], task1_train: set[str], held_out: set[str]) -> tuple[list[str], dict]:
    """The captions that are new training text, in order, and how many lines each rule dropped."""
    kept: list[str] = []
    seen: set[str] = set()
    counts = {"read": 0, "empty": 0, "task1_train": 0, "val_or_test": 0, "repeated": 0}
    for line in captions:
        counts["read"] += 1
        caption = line.strip()
        rule = (
            "empty" if not caption
            else "val_or_test" if caption in held_out
            else "task1_train" if caption in task1_train
            else "repeated" if caption in seen
            else None
        )  # fmt: skip
        if rule is None:
            kept.append(caption)
            seen.add(caption)
        else:
            counts[rule] += 1
    counts["kept"] = len(kept)
    return kept, counts


def fetch_task2(lang: str, mirror: str, data_dir: Path) -> list[Path]:
    """The five verified caption files of ``lang`` in ``data_dir``."""
    return [fetch_split(mirror, f"train.{k}", lang, data_dir, CHECKSUMS) for k in range(1, FILES + 1)]


def task1_sets(lang: str, data_dir: Path) -> tuple[set[str], set[str]]:
    """(task-1 training sentences of ``lang``, task-1 val and test sentences of both task-2 languages)."""
    mirror = resolve_mirror(DataConfig())
    train = {line.strip() for line in read_lines(fetch_split(mirror, "train", lang, data_dir))}
    held_out = {
        line.strip()
        for split in HELD_OUT_SPLITS
        for language in LANGS
        for line in read_lines(fetch_split(mirror, split, language, data_dir))
    }
    return train, held_out


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m training.multi30k_task2", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lang", choices=LANGS, required=True)
    parser.add_argument("--out", required=True, type=Path, help="one caption a line")
    parser.add_argument("--data-dir", default="data/multi30k", type=Path, help="where task-1 files are kept")
    parser.add_argument("--task2-dir", default="data/multi30k-task2", type=Path, help="where task-2 files are kept")
    args = parser.parse_args(argv)
    mirror = os.environ.get(TASK2_MIRROR_ENV) or UPSTREAM_TASK2
    try:
        files = fetch_task2(args.lang, mirror, args.task2_dir)
        train, held_out = task1_sets(args.lang, args.data_dir)
        kept, counts = new_captions((line for f in files for line in read_lines(f)), train, held_out)
        args.out.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(args.out, "".join(f"{caption}\n" for caption in kept))
    except (CorpusError, OSError, ValueError) as err:
        return bad_input(err)
    print(f"{args.out}: " + ", ".join(f"{key} {value}" for key, value in counts.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
