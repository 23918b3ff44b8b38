"""The training split encoded once into token shards on disk, so memory does not grow with the corpus.

``runs/<name>/shards/train/`` holds:

- ``src.bin``, ``tgt.bin``: the piece ids of every kept pair, concatenated (``meta.json`` names the dtype);
- ``offsets.npy``: (N + 1, 2) int64, where pair k's source and target ids start (column 0: src, 1: tgt);
- ``lengths.npy``: (N, 2) uint16, the source and target piece counts (all the sampler needs in memory);
- ``index.npy``: (N,) int64, each kept pair's 0-based line in the input (guided-alignment links use it; several
  corpora count as one input, in order: ``meta.json``'s ``corpus_lines`` says where each starts);
- ``meta.json``: the inputs' SHA-256 digests and the settings it was built with, and the cleaning counts
  (also written alone as ``clean.json``).

A shard folder is re-used when ``meta.json`` records the same inputs and settings, and otherwise rebuilt in
a temporary folder that replaces it only when complete. The token, offset and index files are flat arrays
(``np.memmap`` opens them as they are); ``ShardDataset`` reads a batch's examples from them with positioned
reads, so the pages read during an epoch stay in the page cache, not in the process's memory.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from itertools import chain, islice
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np

from training.clean import CleanCounts, duplicate_mask, length_rule
from training.config import DataConfig
from training.downloads import CorpusError
from training.sources import corpus_paths, describe, file_digests, train_pairs
from translator.files import atomic_write_text, sha256_file
from translator.tokenizer import Tokenizer

CHUNK_PAIRS = 20_000  # pairs encoded per SentencePiece call
META = "meta.json"
Example = tuple[int, list[int], list[int]]


def build_settings(cfg: DataConfig, paths: tuple[Path, ...], tokenizer: Tokenizer) -> dict[str, Any]:
    """What the shards depend on: the input files' digests, the cleaning settings and the subword models."""
    return {
        "inputs": file_digests(paths),
        "subword_models": {p.name: sha256_file(p) for p in tokenizer.files()},
        "max_len": cfg.max_len,
        "max_length_ratio": cfg.max_length_ratio,
        "drop_duplicates": cfg.drop_duplicates,
        "max_train_pairs": cfg.max_train_pairs,
        **_corpora_settings(cfg),
    }


def _corpora_settings(cfg: DataConfig) -> dict[str, Any]:
    """Several corpora: their files in order and their tags (absent otherwise, so older metas still match)."""
    if not cfg.several_corpora:
        return {}
    return {"corpora": [[str(p) for p in corpus_paths(c.files, cfg.data_dir)] for c in cfg.corpora],
            "tags": [c.tag for c in cfg.corpora]}  # fmt: skip


def read_meta(folder: Path) -> dict[str, Any] | None:
    """The folder's ``meta.json``, or None when absent or unreadable."""
    try:
        return json.loads((folder / META).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def token_dtype(tokenizer: Tokenizer) -> np.dtype:
    """uint16 when every id fits (vocabularies of up to 65536 pieces), else int32."""
    return np.dtype(np.uint16 if max(tokenizer.src_vocab_size, tokenizer.tgt_vocab_size) <= 65536 else np.int32)


def _chunks(pairs: Iterator[tuple[str, str]]) -> Iterator[tuple[int, list[tuple[str, str]]]]:
    """(first line, pairs) of consecutive chunks of CHUNK_PAIRS pairs."""
    start = 0
    while chunk := list(islice(pairs, CHUNK_PAIRS)):
        yield start, chunk
        start += len(chunk)


class _Writer:
    """Appends encoded pairs to the shard files of a folder being built."""

    def __init__(self, src: BinaryIO, tgt: BinaryIO, dtype: np.dtype) -> None:
        self.src, self.tgt, self.dtype = src, tgt, dtype
        self.lengths: list[np.ndarray] = []
        self.index: list[np.ndarray] = []

    def add(self, lines: np.ndarray, src: list[list[int]], tgt: list[list[int]]) -> None:
        """Append pairs: ``lines`` (K,) their input lines, ``src``/``tgt`` K id lists each."""
        for handle, ids in ((self.src, src), (self.tgt, tgt)):
            total = sum(len(x) for x in ids)
            np.fromiter(chain.from_iterable(ids), dtype=self.dtype, count=total).tofile(handle)
        self.lengths.append(np.array([[len(s), len(t)] for s, t in zip(src, tgt, strict=True)], dtype=np.uint16))
        self.index.append(lines.astype(np.int64))

    def finish(self, folder: Path) -> int:
        """Write lengths, offsets and index; returns the number of pairs."""
        lengths = np.concatenate(self.lengths) if self.lengths else np.zeros((0, 2), dtype=np.uint16)
        offsets = np.zeros((len(lengths) + 1, 2), dtype=np.int64)
        np.cumsum(lengths, axis=0, out=offsets[1:])
        np.save(folder / "lengths.npy", lengths)
        np.save(folder / "offsets.npy", offsets)
        np.save(folder / "index.npy", np.concatenate(self.index) if self.index else np.zeros(0, dtype=np.int64))
        return len(lengths)


def _encode(
    cfg: DataConfig, paths: tuple[Path, ...], tokenizer: Tokenizer, folder: Path, corpus_lines: list[int]
) -> CleanCounts:
    """Clean and encode the training pairs (``training.sources.train_pairs``) into ``folder``; returns the counts
    and fills ``corpus_lines`` with each corpus's number of input pairs."""
    duplicates = duplicate_mask(train_pairs(cfg, paths)) if cfg.drop_duplicates else None
    counts = CleanCounts()
    with open(folder / "src.bin", "wb") as src_file, open(folder / "tgt.bin", "wb") as tgt_file:
        writer = _Writer(src_file, tgt_file, token_dtype(tokenizer))
        for start, chunk in _chunks(train_pairs(cfg, paths, lines=corpus_lines)):
            _encode_chunk(cfg, tokenizer, chunk, np.arange(start, start + len(chunk)), duplicates, counts, writer)
            counts.read = start + len(chunk)
    counts.kept = writer.finish(folder)
    return counts


def _encode_chunk(
    cfg: DataConfig,
    tokenizer: Tokenizer,
    chunk: list[tuple[str, str]],
    lines: np.ndarray,
    duplicates: np.ndarray | None,
    counts: CleanCounts,
    writer: _Writer,
) -> None:
    """Clean, count and encode one chunk of pairs (``lines``: (K,) their 0-based input lines)."""
    keep = np.array([bool(s) and bool(t) for s, t in chunk], dtype=bool)
    counts.empty += int((~keep).sum())
    if duplicates is not None:
        dup = duplicates[lines] & keep
        counts.duplicate += int(dup.sum())
        keep &= ~dup
    kept = [chunk[i] for i in np.flatnonzero(keep)]
    src, tgt = tokenizer.encode_many([s for s, _ in kept]), tokenizer.encode_many([t for _, t in kept], True)
    src_len, tgt_len = np.array([len(x) for x in src]), np.array([len(x) for x in tgt])
    broken = length_rule(np.maximum(src_len, 1), np.maximum(tgt_len, 1), cfg.max_len, cfg.max_length_ratio)
    broken[(src_len == 0) | (tgt_len == 0)] = "empty"  # text that encodes to no pieces
    for rule in ("empty", "too_long", "ratio"):
        setattr(counts, rule, getattr(counts, rule) + int((broken == rule).sum()))
    good = np.flatnonzero(broken == "")
    writer.add(lines[keep][good], [src[i] for i in good], [tgt[i] for i in good])


def build_shards(cfg: DataConfig, paths: tuple[Path, ...], tokenizer: Tokenizer, folder: Path) -> dict[str, Any]:
    """Encode the training pairs into ``folder`` unless it already holds them; returns its meta.

    CorpusError (nothing in ``folder`` changed) for unreadable inputs or when no pair survives cleaning."""
    settings = build_settings(cfg, paths, tokenizer)
    meta = read_meta(folder)
    if meta is not None and meta.get("settings") == settings:
        return meta
    folder.parent.mkdir(parents=True, exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        corpus_lines: list[int] = []
        counts = _encode(cfg, paths, tokenizer, building, corpus_lines)
        if counts.kept == 0:
            raise CorpusError(f"no training pairs left after cleaning {describe(paths)}: {counts.summary()}")
        meta = {
            "settings": settings,
            "dtype": token_dtype(tokenizer).name,
            "pairs": counts.kept,
            "corpus_lines": corpus_lines,  # input pairs of each training corpus, in order (none for Multi30k)
            "clean": counts.as_dict(),
        }
        atomic_write_text(building / "clean.json", json.dumps(counts.as_dict(), indent=2))
        atomic_write_text(building / META, json.dumps(meta, indent=2))
        if folder.exists():
            shutil.rmtree(folder)
        building.rename(folder)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return meta


def changed_inputs(folder: Path, paths: tuple[Path, ...]) -> list[str]:
    """The input files whose content differs from what ``folder``'s shards were encoded from (or whose
    names differ); empty when the folder has no shards yet."""
    meta = read_meta(folder)
    if meta is None:
        return []
    recorded = meta.get("settings", {}).get("inputs", {})
    current = file_digests(tuple(p for p in paths if p.is_file()))
    return sorted(name for name in set(recorded) | set(current) if recorded.get(name) != current.get(name))


def _npy_data_start(path: Path) -> int:
    """Where the array data of a ``.npy`` file begins (after its header)."""
    return int(np.load(path, mmap_mode="r").offset)  # maps the file without touching its data


class ShardDataset:
    """The examples ``(line, src_ids, tgt_ids)`` of a shard folder, read a batch at a time.

    Only ``lengths`` (N, 2) is held in memory. ``__getitems__`` (which torch's DataLoader calls with a
    batch's positions) reads each example's offsets and ids with positioned reads (``os.pread``) rather than
    through a mapping: the files are flat arrays that ``np.memmap`` opens as they are, but mapping them for
    random access makes the kernel map 64 KB around every touched page: with mapped shards the data module's
    peak at 5M pairs was 775.7 MiB, with positioned reads (same sampler) 520.5 MiB (``make bench-data``;
    README, "Input pipeline at scale")."""

    def __init__(self, folder: Path) -> None:
        meta = read_meta(folder)
        if meta is None:
            raise CorpusError(f"{folder} holds no shards (no {META}); the data module builds them")
        self.folder, self.dtype = folder, np.dtype(meta["dtype"])
        self.lengths = np.load(folder / "lengths.npy")
        self.starts = {name: _npy_data_start(folder / name) for name in ("offsets.npy", "index.npy")}

    def __len__(self) -> int:
        return len(self.lengths)

    def _read(self, fd: int, dtype: np.dtype, start: int, count: int) -> np.ndarray:
        return np.frombuffer(os.pread(fd, count * dtype.itemsize, start), dtype=dtype)

    def __getitems__(self, positions: Sequence[int]) -> list[Example]:
        names = ("offsets.npy", "index.npy", "src.bin", "tgt.bin")
        fds = [os.open(self.folder / name, os.O_RDONLY) for name in names]
        offsets_fd, index_fd, src_fd, tgt_fd = fds
        int64, width = np.dtype(np.int64), self.dtype.itemsize
        try:
            examples = []
            for k in positions:
                s0, t0, s1, t1 = self._read(offsets_fd, int64, self.starts["offsets.npy"] + 16 * k, 4).tolist()
                line = int(self._read(index_fd, int64, self.starts["index.npy"] + 8 * k, 1)[0])
                src = self._read(src_fd, self.dtype, s0 * width, s1 - s0).tolist()
                examples.append((line, src, self._read(tgt_fd, self.dtype, t0 * width, t1 - t0).tolist()))
            return examples
        finally:
            for fd in fds:
                os.close(fd)

    def __getitem__(self, position: int) -> Example:
        return self.__getitems__([position])[0]
