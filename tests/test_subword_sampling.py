"""Subword regularisation (Kudo 2018): training pairs segmented anew each time they are read, the text the
same, the segmentations different; refused where it cannot work."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.corpus_files import synthetic_pairs, write_tsv
from training.config import DataConfig, load_config
from training.datamodule import SampledExamples
from training.shards import ShardDataset, build_shards
from training.vocab import train_spm
from translator.config import ConfigError
from translator.tokenizer import Tokenizer

PAIRS = synthetic_pairs(300, seed=4)


def test_each_read_samples_a_new_segmentation_of_the_same_text(tmp_path: Path) -> None:
    train = write_tsv(tmp_path / "train.tsv", PAIRS)
    cfg = DataConfig(src_lang="de", tgt_lang="en", vocab_size=120, train=str(train), valid=str(train))
    train_spm(cfg, (train,), tmp_path / "spm")
    tokenizer = Tokenizer.load(tmp_path / "spm")
    build_shards(cfg, (train,), tokenizer, tmp_path / "shards")
    base = ShardDataset(tmp_path / "shards")
    sampled = SampledExamples(base, tokenizer, alpha=0.5, nbest=-1, max_len=cfg.max_len)
    positions = list(range(40))
    reads = [sampled.__getitems__(positions) for _ in range(4)]
    for (i, src, tgt), *again in zip(base.__getitems__(positions), *reads):
        for j, sampled_src, sampled_tgt in again:  # one joint vocabulary: decode_target reads both sides
            assert j == i and tokenizer.decode_target(sampled_tgt) == tokenizer.decode_target(list(tgt))
            assert tokenizer.decode_target(sampled_src) == tokenizer.decode_target(list(src))
    assert len({tuple(src) for read in reads for _, src, _ in read[:40]}) > 40  # new segmentations appear


def test_sampling_settings_are_checked_and_refused_with_guided_alignment(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump({"train": {"subword_alpha": 1.5}}), encoding="utf-8")
    with pytest.raises(ConfigError, match="subword_alpha"):
        load_config(tmp_path / "bad.yaml")
    guided = {"data": {"alignment_links": "x.links"}, "train": {"subword_alpha": 0.1, "guided_alignment_weight": 1}}
    (tmp_path / "guided.yaml").write_text(yaml.safe_dump(guided), encoding="utf-8")
    with pytest.raises(ConfigError, match="subword_alpha"):
        load_config(tmp_path / "guided.yaml")
