"""Synthetic parallel corpora written as a user would give them: TSV or two files, gzip or not."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

SRC_WORDS = ["ein", "eine", "zwei", "Hund", "Katze", "Mann", "Frau", "Kind", "läuft", "spielt", "im", "Park"]
TGT_WORDS = ["a", "an", "two", "dog", "cat", "man", "woman", "child", "runs", "plays", "in", "park"]


def synthetic_pairs(n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` distinct word-for-word pairs of 2 to 8 words (line k ends in its number, so none repeats)."""
    rng = random.Random(seed)
    pairs = []
    for k in range(n):
        words = rng.choices(range(len(SRC_WORDS)), k=rng.randint(2, 8))
        pairs.append((" ".join(SRC_WORDS[w] for w in words) + f" {k}", " ".join(TGT_WORDS[w] for w in words) + f" {k}"))
    return pairs


def _write(path: Path, text: str, gz: bool) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def write_tsv(path: Path, pairs: list[tuple[str, str]], gz: bool = False) -> Path:
    """One ``source<TAB>target`` line per pair."""
    return _write(path, "".join(f"{s}\t{t}\n" for s, t in pairs), gz)


def write_two_files(folder: Path, stem: str, pairs: list[tuple[str, str]], gz: bool = False) -> dict[str, str]:
    """``<stem>.src`` and ``<stem>.tgt`` (``.gz`` added when compressed); returns ``{src: PATH, tgt: PATH}``."""
    suffix = ".gz" if gz else ""
    src = _write(folder / f"{stem}.src{suffix}", "".join(s + "\n" for s, _ in pairs), gz)
    tgt = _write(folder / f"{stem}.tgt{suffix}", "".join(t + "\n" for _, t in pairs), gz)
    return {"src": str(src), "tgt": str(tgt)}
