"""Guided-alignment piece links stored beside the training shards, read per batch like the pairs themselves.

``data.alignment_links`` has one line of word links per training pair (``training.guided``). They become
piece links of each kept pair (``piece_links``) once, streamed from the corpus and the links file together,
and are written to ``<shards>/guided/``:

- ``links.bin``: uint16 (L, 2), the (target piece, source piece) pairs of every kept pair, concatenated (piece
  indices within a sentence, which the shards' uint16 lengths bound);
- ``offsets.npy``: (N + 1,) int64, shard position k's pairs are rows ``offsets[k]:offsets[k + 1]``;
- ``meta.json``: what they were built from (the links file's digest, the word unit, the shards' settings).

Guided training then holds no more in memory than plain training: a batch reads its links with positioned
reads (``os.pread``), as ``training.shards.ShardDataset`` reads its ids. A rebuilt shard folder drops the
store with it, and a changed links file or word unit rebuilds it.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from training.config import DataConfig
from training.downloads import CorpusError
from training.guided import PieceLinks, existing_links_file, piece_links
from training.link_words import Words
from training.shards import read_meta
from training.sources import file_digests, train_pairs
from translator.alignment.links import LinkError, parse_links
from translator.files import atomic_write_text
from translator.tokenizer import Tokenizer

FOLDER = "guided"
PAIR = np.dtype(np.uint16)  # one piece index of a (target piece, source piece) pair: < 65536, as shard lengths


def store_settings(cfg: DataConfig, shards: Path) -> dict[str, Any]:
    """What a store is built from: a store with other settings is rebuilt."""
    links = existing_links_file(str(cfg.alignment_links))
    shard_meta = read_meta(shards) or {}
    return {
        "links": file_digests((links,)),
        "words": cfg.alignment_words,
        "shards": shard_meta.get("settings"),
        "dtype": PAIR.name,  # a store written with another element type is rebuilt, never misread
    }


def _links_lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        yield from enumerate((line.rstrip("\n") for line in handle), start=1)


def _word_links(path: Path, pairs: Iterator, lines: Iterator) -> Iterator[tuple[tuple[str, str], set]]:
    """(pair, its word links), the corpus and the links file read in step; CorpusError when their lengths
    differ or a line is not Pharaoh links."""
    for pair, numbered in itertools.zip_longest(pairs, lines):
        if pair is None or numbered is None:
            have = "fewer" if numbered is None else "more"
            raise CorpusError(f"{path} has {have} lines than the training split has pairs")
        number, line = numbered
        try:
            yield pair, set(parse_links(line, False, f"{path}:{number}: ").sure)
        except LinkError as err:
            raise CorpusError(str(err)) from None


def build_store(cfg: DataConfig, paths: tuple[Path, ...], tokenizer: Tokenizer, shards: Path) -> Path:
    """Write the piece links of the shards' pairs into ``shards/guided`` unless it holds them; returns it."""
    folder, settings = shards / FOLDER, store_settings(cfg, shards)
    meta = read_meta(folder)
    if meta is not None and meta.get("settings") == settings:
        return folder
    kept = np.load(shards / "index.npy")  # (N,) ascending input lines of the kept pairs
    offsets = np.zeros(len(kept) + 1, dtype=np.int64)
    words, links_path = Words(cfg.alignment_words, cfg.src_lang, cfg.tgt_lang), Path(str(cfg.alignment_links))
    building = Path(tempfile.mkdtemp(prefix=f".{FOLDER}.", dir=shards))
    try:
        position = 0
        pairs = _word_links(links_path, train_pairs(cfg, paths, tagged=False), _links_lines(links_path))
        with (building / "links.bin").open("wb") as out:
            for line, ((source, target), links) in enumerate(pairs):
                if position < len(kept) and kept[position] == line:
                    found = np.asarray(piece_links(tokenizer, source, target, links, words), dtype=PAIR)
                    out.write(found.reshape(-1, 2).tobytes())  # (links, 2): source piece, target piece
                    offsets[position + 1] = offsets[position] + len(found)
                    position += 1
        np.save(building / "offsets.npy", offsets)
        atomic_write_text(building / "meta.json", json.dumps({"settings": settings, "pairs": int(len(kept))}))
        shutil.rmtree(folder, ignore_errors=True)
        building.rename(folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return folder


class PieceLinkStore:
    """The piece links of a store, read by shard position; only the offsets' file header is read up front."""

    def __init__(self, folder: Path) -> None:
        if read_meta(folder) is None:
            raise CorpusError(f"{folder} holds no guided-alignment links; the data module builds them")
        self.folder = folder
        self.start = int(np.load(folder / "offsets.npy", mmap_mode="r").offset)

    def read(self, positions: Sequence[int]) -> list[PieceLinks]:
        """The links of the pairs at these shard positions, each a tuple of (target piece, source piece)."""
        offsets_fd = os.open(self.folder / "offsets.npy", os.O_RDONLY)
        links_fd = os.open(self.folder / "links.bin", os.O_RDONLY)
        try:
            found = []
            for k in positions:
                first, last = np.frombuffer(os.pread(offsets_fd, 16, self.start + 8 * k), dtype=np.int64).tolist()
                raw = os.pread(links_fd, (last - first) * 2 * PAIR.itemsize, first * 2 * PAIR.itemsize)
                pairs = np.frombuffer(raw, dtype=PAIR).reshape(-1, 2)  # (links, 2): source piece, target piece
                found.append(tuple(map(tuple, pairs.tolist())))
            return found
        finally:
            os.close(offsets_fd)
            os.close(links_fd)
