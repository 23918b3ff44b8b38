"""Guided-alignment links stored beside the shards: the same piece links as computing them in memory, read
per shard position, rebuilt when the links file changes, and bad links files refused with nothing kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.corpus_files import synthetic_pairs, write_tsv
from training.config import DataConfig
from training.downloads import CorpusError
from training.guided import piece_links, read_links
from training.guided_store import FOLDER, PieceLinkStore, build_store
from training.link_words import Words
from training.shards import ShardDataset, build_shards
from training.vocab import train_spm
from translator.tokenizer import Tokenizer

PAIRS = synthetic_pairs(120) + [("ein Hund", "a dog")] * 3  # duplicates: dropped by cleaning, so not all kept


def _diagonal_links(pairs: list[tuple[str, str]], shift: int = 0) -> str:
    """Word k to word k (+ shift where it exists) for every pair, as Pharaoh lines."""
    lines = []
    for source, target in pairs:
        n, m = len(source.split()), len(target.split())
        lines.append(" ".join(f"{k}-{min(k + shift, m - 1)}" for k in range(min(n, m))))
    return "\n".join(lines) + "\n"


@pytest.fixture()
def corpus(tmp_path: Path) -> tuple[DataConfig, tuple[Path, ...], Tokenizer, Path]:
    train = write_tsv(tmp_path / "train.tsv", PAIRS)
    links = tmp_path / "train.links"
    links.write_text(_diagonal_links(PAIRS), encoding="utf-8")
    cfg = DataConfig(src_lang="de", tgt_lang="en", vocab_size=60, train=str(train), valid=str(train),
                     alignment_links=str(links))  # fmt: skip
    train_spm(cfg, (train,), tmp_path / "spm")
    tokenizer = Tokenizer.load(tmp_path / "spm")
    build_shards(cfg, (train,), tokenizer, tmp_path / "shards")
    return cfg, (train,), tokenizer, tmp_path / "shards"


def test_the_store_holds_each_kept_pairs_piece_links(corpus) -> None:  # noqa: ANN001
    cfg, paths, tokenizer, shards = corpus
    store = PieceLinkStore(build_store(cfg, paths, tokenizer, shards))
    examples = ShardDataset(shards).__getitems__(range(len(ShardDataset(shards))))
    assert len(examples) < len(PAIRS)  # the duplicates were dropped
    links = read_links(cfg.alignment_links, len(PAIRS))
    expected = [
        piece_links(tokenizer, *PAIRS[line], links[line], Words("whitespace", "de", "en")) for line, *_ in examples
    ]
    assert store.read(range(len(examples))) == expected
    assert sum(map(len, expected)) > len(expected)  # links were found, not only empty tuples
    assert store.read([3, 0]) == [expected[3], expected[0]]


def test_a_changed_links_file_rebuilds_the_store(corpus) -> None:  # noqa: ANN001
    cfg, paths, tokenizer, shards = corpus
    before = PieceLinkStore(build_store(cfg, paths, tokenizer, shards)).read([0, 1, 2])
    Path(cfg.alignment_links).write_text(_diagonal_links(PAIRS, shift=1), encoding="utf-8")
    after = PieceLinkStore(build_store(cfg, paths, tokenizer, shards)).read([0, 1, 2])
    assert after != before


@pytest.mark.parametrize(
    ("text", "message"),
    [(_diagonal_links(PAIRS[:-1]), "fewer lines"), (_diagonal_links(PAIRS) + "0-0\n", "more lines"),
     (_diagonal_links(PAIRS).replace("0-0", "0-x", 1), "train.links:1")],
)  # fmt: skip
def test_bad_links_files_are_corpus_errors_and_leave_no_store(corpus, text: str, message: str) -> None:  # noqa: ANN001
    cfg, paths, tokenizer, shards = corpus
    Path(cfg.alignment_links).write_text(text, encoding="utf-8")
    with pytest.raises(CorpusError, match=message):
        build_store(cfg, paths, tokenizer, shards)
    assert not (shards / FOLDER).exists() and not list(shards.glob(f".{FOLDER}.*"))
