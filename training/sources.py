"""Where each split's sentence pairs come from, read as a stream.

A split is either Multi30k's ``<split>.<lang>`` files in ``data.data_dir`` or the user's corpus named in
``data.train``/``valid``/``test``: one TSV file (source, tab, target) or two line-aligned files. Files may
be gzip-compressed (detected by their magic bytes, not their names) and must be UTF-8. A location may be an
http(s) URL pinned by ``#sha256=<hex>``: ``fetch_sources`` downloads it once into ``data_dir/downloads``.

Every problem is a ``CorpusError`` naming the file and, where it applies, the line: missing file, unreadable
gzip, invalid UTF-8, a TSV line without exactly one tab, files with different line counts.
"""

from __future__ import annotations

import functools
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from training.config import DataConfig
from training.corpus_config import SYNTHETIC_TAG, CorpusSource, TrainCorpus
from training.downloads import CorpusError, download_verified, is_url
from training.multi30k import prepare_corpus
from translator.files import sha256_file

GZIP_MAGIC = b"\x1f\x8b"
MULTI30K_SPLITS = {"train": "train", "valid": "val", "test": "test_2016_flickr"}


def local_path(location: str, data_dir: str | Path) -> Path:
    """The file a location is read from: itself, or for a URL its verified download in ``data_dir/downloads``."""
    if not is_url(location):
        return Path(location)
    url, _, checksum = location.partition("#sha256=")
    return Path(data_dir) / "downloads" / f"{checksum[:16]}-{Path(url.split('?')[0]).name or 'corpus'}"


def _locations(source: CorpusSource | tuple[TrainCorpus, ...]) -> tuple[str, ...]:
    if isinstance(source, tuple):  # several training corpora: all their files
        return tuple(location for corpus in source for location in _locations(corpus.files))
    return (source,) if isinstance(source, str) else (source.src, source.tgt)


def split_paths(cfg: DataConfig, split: str) -> tuple[Path, ...] | None:
    """The files of ``split`` (train, valid or test): ``(tsv,)`` or ``(src, tgt)`` (several training
    corpora: all their files, in order); None when the config names no test set."""
    if cfg.multi30k:
        name = MULTI30K_SPLITS[split]
        return Path(cfg.data_dir) / f"{name}.{cfg.src_lang}", Path(cfg.data_dir) / f"{name}.{cfg.tgt_lang}"
    source: CorpusSource | tuple[TrainCorpus, ...] | None = getattr(cfg, split)
    if source is None:
        return None
    return tuple(local_path(location, cfg.data_dir) for location in _locations(source))


def corpus_paths(source: CorpusSource, data_dir: str | Path) -> tuple[Path, ...]:
    """The local files of one corpus: ``(tsv,)`` or ``(src, tgt)``."""
    return tuple(local_path(location, data_dir) for location in _locations(source))


def train_pairs(
    cfg: DataConfig, paths: tuple[Path, ...], tagged: bool = True, lines: list[int] | None = None
) -> Iterator[tuple[str, str]]:
    """The training pairs (the first ``cfg.max_train_pairs``): those of ``paths`` (``split_paths``), or with
    several corpora in ``data.train`` each corpus's one after the other, the sources of a tagged corpus led by
    ``SYNTHETIC_TAG`` (unless ``tagged`` is false: the text for the subword models). ``lines``, when given,
    receives each corpus's number of pairs read."""
    if not cfg.several_corpora:
        yield from iter_pairs(paths, cfg.max_train_pairs)
        return
    left = cfg.max_train_pairs
    for corpus in cfg.corpora:
        paths = corpus_paths(corpus.files, cfg.data_dir)
        count = 0
        for source, target in iter_pairs(paths, left):
            count += 1
            yield (f"{SYNTHETIC_TAG} {source}" if corpus.tag and tagged and source else source), target
        if lines is not None:
            lines.append(count)
        left = None if left is None else left - count
        if left == 0:
            return


def fetch_sources(cfg: DataConfig) -> None:
    """Download (and verify) every URL among the user's files that is not downloaded yet."""
    for split in ("train", "valid", "test"):
        source = getattr(cfg, split)
        for location in _locations(source) if source is not None else ():
            if is_url(location):
                url, _, checksum = location.partition("#sha256=")
                download_verified(url, checksum, local_path(location, cfg.data_dir))


def fetch_corpus(cfg: DataConfig) -> None:
    """Make every file of the config's corpus local: fetch and verify Multi30k, or download the user's URLs."""
    if cfg.multi30k:
        prepare_corpus(cfg)
    else:
        fetch_sources(cfg)


def file_digests(paths: tuple[Path, ...]) -> dict[str, str]:
    """``{path: SHA-256}`` of the input files. A file unchanged since it was last hashed in this process
    (same size and modification time) is not read again: the subword stamp, the shard settings and the
    resume check all ask for the same digests."""
    digests = {}
    for path in paths:
        stat = path.stat()
        digests[str(path)] = _digest(str(path), stat.st_size, stat.st_mtime_ns)
    return digests


@functools.lru_cache(maxsize=64)
def _digest(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def _open(path: Path) -> IO[bytes]:
    if not path.is_file():
        raise CorpusError(f"missing corpus file {path}")
    with open(path, "rb") as probe:
        compressed = probe.read(2) == GZIP_MAGIC
    return gzip.open(path, "rb") if compressed else open(path, "rb")


def _decoded_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text without its line break) of a UTF-8 file, gzip or not; only ``\\n`` separates lines.
    Invalid UTF-8 and broken gzip become CorpusErrors naming the file and the line."""
    with _open(path) as handle:
        number = 0
        try:
            for number, raw in enumerate(handle, 1):  # noqa: B007  (number is reported on errors)
                yield number, raw.decode("utf-8").rstrip("\r\n")
        except UnicodeDecodeError as err:
            raise CorpusError(f"{path}, line {number}: not valid UTF-8 ({err.reason} at byte {err.start})") from None
        except (OSError, EOFError, zlib.error) as err:
            raise CorpusError(f"{path}: not a readable gzip file after line {number} ({err})") from None


def stream_lines(path: Path) -> Iterator[str]:
    """The lines of a UTF-8 text file (gzip or not), stripped."""
    return (line.strip() for _, line in _decoded_lines(path))


def _tsv_pairs(path: Path) -> Iterator[tuple[str, str]]:
    for number, line in _decoded_lines(path):
        fields = line.split("\t")
        if len(fields) != 2:
            raise CorpusError(f"{path}, line {number}: expected source<TAB>target, found {len(fields) - 1} tabs")
        yield fields[0].strip(), fields[1].strip()


def _count_rest(lines: Iterator[str]) -> int:
    return sum(1 for _ in lines)


def _file_pairs(src_path: Path, tgt_path: Path) -> Iterator[tuple[str, str]]:
    src_lines, tgt_lines = stream_lines(src_path), stream_lines(tgt_path)
    count = 0
    for src in src_lines:
        tgt = next(tgt_lines, None)
        if tgt is None:
            total = count + 1 + _count_rest(src_lines)
            raise CorpusError(f"line counts differ: {src_path} has {total} lines, {tgt_path} has {count}")
        count += 1
        yield src, tgt
    rest = _count_rest(tgt_lines)
    if rest:
        raise CorpusError(f"line counts differ: {src_path} has {count} lines, {tgt_path} has {count + rest}")


def iter_pairs(paths: tuple[Path, ...], limit: int | None = None) -> Iterator[tuple[str, str]]:
    """The (source, target) pairs of a split's files (see ``split_paths``), at most the first ``limit``."""
    pairs = _tsv_pairs(paths[0]) if len(paths) == 1 else _file_pairs(*paths)
    for count, pair in enumerate(pairs):
        if limit is not None and count >= limit:
            return
        yield pair


def read_split(cfg: DataConfig, split: str, limit: int | None = None) -> list[tuple[str, str]]:
    """All pairs of ``split`` in memory (validation and test sets); CorpusError if the config has none."""
    paths = split_paths(cfg, split)
    if paths is None:
        raise CorpusError(f"the config names no {split} set (data.{split})")
    return list(iter_pairs(paths, limit))


def describe(paths: tuple[Path, ...]) -> str:
    """The files of a split, for messages."""
    return " + ".join(str(p) for p in paths)
