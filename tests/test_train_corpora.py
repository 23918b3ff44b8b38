"""Several training corpora in ``data.train``: the config (weights, tags, refusals), the pairs read one corpus
after the other with tagged sources, the tag as one subword piece, each kept pair's weight found from the
shards, and weights acting in the batch sampler (a fixed number of batches every epoch); then a training run
on two corpora, one tagged, end to end."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import yaml

from tests.corpus_files import synthetic_pairs, write_tsv, write_two_files
from training.config import DataConfig, config_yaml, load_config
from training.corpus_config import SYNTHETIC_TAG, CorpusFiles, TrainCorpus
from training.datamodule import example_weights
from training.sampler import BucketBatchSampler
from training.shards import build_shards
from training.sources import split_paths, train_pairs
from training.train import main
from training.vocab import train_spm
from translator.config import ConfigError
from translator.tokenizer import Tokenizer

REAL, SYNTHETIC = synthetic_pairs(300, seed=0), synthetic_pairs(200, seed=1)


def _data(folder: Path, real_weight: float = 1.0, synthetic_weight: float = 2.0) -> DataConfig:
    files = CorpusFiles(**write_two_files(folder, "real", REAL))
    return DataConfig(
        src_lang="de", tgt_lang="en", vocab_size=60, valid=str(write_tsv(folder / "valid.tsv", REAL[:20])),
        train=(TrainCorpus(str(write_tsv(folder / "bt.tsv", SYNTHETIC)), synthetic_weight, tag=True),
               TrainCorpus(files, real_weight)),
    )  # fmt: skip


def test_weights_must_be_non_negative_and_not_all_zero(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="weight must be >= 0"):
        _data(tmp_path, real_weight=-1.0)
    with pytest.raises(ConfigError, match="every corpus has weight 0"):
        _data(tmp_path, real_weight=0.0, synthetic_weight=0.0)


def test_a_yaml_list_of_corpora_loads_and_saves_as_it_was_given(tmp_path: Path) -> None:
    tsv = write_tsv(tmp_path / "a.tsv", REAL[:50])
    raw = {"data": {"train": [{"files": str(tsv), "weight": 3}, {"files": str(tsv), "tag": True}],
                    "valid": str(tsv), "vocab_size": 60}}  # fmt: skip
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    cfg = load_config(tmp_path / "c.yaml")
    assert cfg.data.corpora == (TrainCorpus(str(tsv), 3.0), TrainCorpus(str(tsv), 1.0, True)) and cfg.data.tagged
    (tmp_path / "again.yaml").write_text(config_yaml(cfg), encoding="utf-8")
    assert load_config(tmp_path / "again.yaml", cfg.name) == cfg
    raw["data"]["train"][0]["share"] = 1
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match="share"):
        load_config(tmp_path / "bad.yaml")


def test_pairs_come_corpus_after_corpus_with_tagged_sources(tmp_path: Path) -> None:
    cfg = _data(tmp_path)
    lines: list[int] = []
    pairs = list(train_pairs(cfg, split_paths(cfg, "train"), lines=lines))
    assert lines == [200, 300] and len(pairs) == 500 and len(split_paths(cfg, "train")) == 3
    assert pairs[0] == (f"{SYNTHETIC_TAG} {SYNTHETIC[0][0]}", SYNTHETIC[0][1]) and pairs[200] == REAL[0]
    assert list(train_pairs(cfg, (), tagged=False))[0] == SYNTHETIC[0]


def test_the_tag_is_one_piece_and_each_kept_pair_gets_its_corpus_weight(tmp_path: Path) -> None:
    cfg = _data(tmp_path / "corpus")
    paths = split_paths(cfg, "train")
    train_spm(cfg, paths, tmp_path / "spm")  # type: ignore[arg-type]
    tokenizer = Tokenizer.load(tmp_path / "spm")
    pieces = tokenizer.encode_source(f"{SYNTHETIC_TAG} {SYNTHETIC[0][0]}")[1]
    assert SYNTHETIC_TAG in pieces[:2] and not any("bt" in p for p in pieces if p != SYNTHETIC_TAG)
    build_shards(cfg, paths, tokenizer, tmp_path / "shards")  # type: ignore[arg-type]
    weights = example_weights(cfg, tmp_path / "shards")
    index = np.load(tmp_path / "shards" / "index.npy")
    assert weights is not None and len(weights) == len(index)
    assert set(weights[index < 200]) == {2.0} and set(weights[index >= 200]) == {1.0}


def test_the_sampler_draws_by_weight_with_the_same_number_of_batches_each_epoch() -> None:
    lengths = np.tile(np.arange(3, 9), 100)  # 600 examples of six lengths
    weights = np.where(np.arange(600) < 200, 2.0, np.where(np.arange(600) < 400, 0.5, 0.0))
    sampler = BucketBatchSampler(lengths, batch_tokens=64, max_sentences=8, seed=3, weights=weights)
    drawn: Counter = Counter()
    for epoch in range(20):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        assert len(batches) == len(sampler)
        drawn.update(i for batch in batches for i in batch)
    heavy, light = sum(drawn[i] for i in range(200)), sum(drawn[i] for i in range(200, 400))
    assert not any(drawn[i] for i in range(400, 600))  # weight 0: never drawn
    assert 3.2 < heavy / light < 4.8  # weights 2 and 0.5: four times as often


def test_a_run_on_a_tagged_and_an_untagged_corpus_with_sampled_subwords_trains(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    data = _data(tmp_path / "corpus")
    config = {
        "data": {"src_lang": "de", "tgt_lang": "en", "vocab_size": 60, "valid": data.valid,
                 "train": [{"files": c.files if isinstance(c.files, str) else {"src": c.files.src, "tgt": c.files.tgt},
                            "weight": c.weight, "tag": c.tag} for c in data.corpora]},
        "model": {"emb_dim": 16, "hidden_size": 32},
        "train": {"batch_tokens": 800, "max_epochs": 1, "warmup_steps": 2, "accelerator": "cpu", "subword_alpha": 0.1,
                  "precision": "32-true", "log_every_n_steps": 1},
        "decode": {"beam_size": 1},
    }  # fmt: skip
    (tmp_path / "two.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    assert main(["--config", str(tmp_path / "two.yaml")]) == 0
    assert (tmp_path / "artifacts" / "two").is_dir()
