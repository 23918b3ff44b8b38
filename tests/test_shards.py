"""Cleaning rules with their counts, memory-mapped shards (re-use, rebuild, contents) and batches from them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.corpus_files import synthetic_pairs, write_tsv, write_two_files
from training.clean import CleanCounts, duplicate_mask, length_rule
from training.config import DataConfig
from training.datamodule import collate
from training.downloads import CorpusError
from training.sampler import BucketBatchSampler
from training.shards import ShardDataset, build_shards
from training.vocab import train_spm
from translator.tokenizer import Tokenizer

PAIRS = synthetic_pairs(300)


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> Tokenizer:
    folder = tmp_path_factory.mktemp("spm")
    cfg = DataConfig(src_lang="de", tgt_lang="en", vocab_size=60)
    train_spm(cfg, (write_tsv(folder / "train.tsv", PAIRS),), folder)
    return Tokenizer.load(folder)


def data_cfg(train: str | dict, **settings: object) -> DataConfig:
    return DataConfig(src_lang="pt", tgt_lang="es", train=train, valid=train, **settings)  # type: ignore[arg-type]


def all_examples(folder: Path) -> list[tuple[int, list[int], list[int]]]:
    shards = ShardDataset(folder)
    return shards.__getitems__(range(len(shards)))


def test_duplicate_mask_keeps_the_first_of_each_group() -> None:
    pairs = [("a", "b"), ("a", "c"), ("a", "b"), ("x", "y"), ("a", "b"), ("x", "y")]
    assert duplicate_mask(pairs).tolist() == [False, False, True, False, True, True]
    assert duplicate_mask([]).tolist() == []


def test_length_rule_names_the_rule_each_pair_breaks() -> None:
    src, tgt = np.array([3, 10, 2, 30, 5]), np.array([3, 2, 9, 3, 5])
    assert length_rule(src, tgt, max_len=20, max_ratio=4.0).tolist() == ["", "ratio", "ratio", "too_long", ""]
    assert length_rule(src, tgt, max_len=20, max_ratio=0).tolist() == ["", "", "", "too_long", ""]


def test_every_cleaning_rule_is_counted_and_saved(tmp_path: Path, tokenizer: Tokenizer) -> None:
    long = " ".join(["Hund"] * 120)
    bad = [("", "an empty source"), ("no target", ""), PAIRS[0], (long, long), ("Hund " * 12, "dog")]
    pairs = PAIRS[:50] + bad
    cfg = data_cfg(str(write_tsv(tmp_path / "t.tsv", pairs)), max_len=100, max_length_ratio=3.0)
    meta = build_shards(cfg, (tmp_path / "t.tsv",), tokenizer, tmp_path / "shards")
    expected = CleanCounts(read=55, kept=50, empty=2, duplicate=1, too_long=1, ratio=1)
    assert CleanCounts(**meta["clean"]) == expected
    saved = json.loads((tmp_path / "shards" / "clean.json").read_text())
    assert saved == expected.as_dict() and meta["pairs"] == 50
    assert [i for i, _, _ in all_examples(tmp_path / "shards")] == list(range(50))
    assert "dropped: empty 2, duplicate 1, too_long 1, ratio 1" in expected.summary()


def test_rules_can_be_turned_off(tmp_path: Path, tokenizer: Tokenizer) -> None:
    pairs = PAIRS[:20] + PAIRS[:5] + [("Hund " * 12, "dog")]
    path = write_tsv(tmp_path / "t.tsv", pairs)
    meta = build_shards(
        data_cfg(str(path), drop_duplicates=False, max_length_ratio=0), (path,), tokenizer, tmp_path / "s"
    )
    assert meta["clean"]["kept"] == 26 and meta["clean"]["duplicate"] == meta["clean"]["ratio"] == 0


def test_shards_hold_what_the_tokenizer_gives_in_memory(tmp_path: Path, tokenizer: Tokenizer) -> None:
    files = write_two_files(tmp_path, "train", PAIRS, gz=True)
    paths = (Path(files["src"]), Path(files["tgt"]))
    build_shards(data_cfg(files), paths, tokenizer, tmp_path / "shards")
    in_memory = [(i, tokenizer.encode_source(s)[0], tokenizer.encode_target(t)) for i, (s, t) in enumerate(PAIRS)]
    assert all_examples(tmp_path / "shards") == in_memory
    shards = ShardDataset(tmp_path / "shards")
    assert shards.lengths.tolist() == [[len(s), len(t)] for _, s, t in in_memory]
    sampler = BucketBatchSampler(shards.lengths[:, 1].astype(np.int32) + 1, 200, 16, seed=3)
    for positions in sampler:  # a batch from the shards equals the batch built from the in-memory examples
        from_shards, from_memory = collate(shards.__getitems__(positions)), collate([in_memory[k] for k in positions])
        assert all(a is b or bool((a == b).all()) for a, b in zip(from_shards, from_memory, strict=True))


def test_shards_are_reused_while_inputs_are_unchanged_and_rebuilt_when_they_change(
    tmp_path: Path, tokenizer: Tokenizer
) -> None:
    path = write_tsv(tmp_path / "t.tsv", PAIRS[:100])
    cfg, folder = data_cfg(str(path)), tmp_path / "shards"
    build_shards(cfg, (path,), tokenizer, folder)
    stamp = (folder / "src.bin").stat().st_mtime_ns, (folder / "src.bin").stat().st_ino
    build_shards(cfg, (path,), tokenizer, folder)
    assert ((folder / "src.bin").stat().st_mtime_ns, (folder / "src.bin").stat().st_ino) == stamp  # re-used
    write_tsv(path, PAIRS[:120])
    assert build_shards(cfg, (path,), tokenizer, folder)["pairs"] == 120 == len(ShardDataset(folder))
    assert build_shards(data_cfg(str(path), max_len=12), (path,), tokenizer, folder)["pairs"] < 120  # settings count


def test_a_corpus_left_empty_after_cleaning_keeps_the_old_shards(tmp_path: Path, tokenizer: Tokenizer) -> None:
    path = write_tsv(tmp_path / "t.tsv", PAIRS[:30])
    folder = tmp_path / "shards"
    build_shards(data_cfg(str(path)), (path,), tokenizer, folder)
    before = sorted((p.name, p.read_bytes()) for p in folder.iterdir())
    write_tsv(path, [("", "x"), ("y", "")])
    with pytest.raises(CorpusError, match="no training pairs left after cleaning .*empty 2"):
        build_shards(data_cfg(str(path)), (path,), tokenizer, folder)
    assert sorted((p.name, p.read_bytes()) for p in folder.iterdir()) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["shards", "t.tsv"]  # no temporary folder left
