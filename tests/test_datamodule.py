"""Batches, the bucketing sampler and the data module end to end on a fake mirror."""

from __future__ import annotations

import gzip
import hashlib
import random
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader

from training import multi30k
from training.config import Config, DataConfig, TrainConfig
from training.datamodule import Batch, TranslationDataModule, collate
from training.sampler import BucketBatchSampler, sorted_batches
from translator.config import DecodeConfig
from translator.tokenizer import BOS_ID, EOS_ID, PAD_ID

WORDS = ["ein", "eine", "zwei", "Hund", "Katze", "Mann", "Frau", "Kind", "läuft", "spielt", "sitzt", "im", "auf"]
WORDS += ["dem", "Park", "Straße", "Ball", "Wasser"]


def random_lengths(n: int, seed: int = 0) -> list[int]:
    rng = random.Random(seed)
    return [rng.randint(2, 40) for _ in range(n)]


def test_collate_pads_and_adds_bos_eos() -> None:
    batch = collate([(7, [5, 6, 7], [8, 9]), (3, [5], [8, 9, 10, 11])])
    assert isinstance(batch, Batch)
    assert batch.src.tolist() == [[5, 6, 7], [5, PAD_ID, PAD_ID]]
    assert batch.src_len.tolist() == [3, 1] and batch.index.tolist() == [7, 3]
    assert batch.tgt_in.tolist() == [[BOS_ID, 8, 9, PAD_ID, PAD_ID], [BOS_ID, 8, 9, 10, 11]]
    assert batch.tgt_out.tolist() == [[8, 9, EOS_ID, PAD_ID, PAD_ID], [8, 9, 10, 11, EOS_ID]]
    assert batch.guide is None  # examples without links: no guided-alignment targets
    tensors = [t for t in batch if t is not None]
    assert len(tensors) == 5 and all(t.dtype == torch.long for t in tensors)
    assert all(torch.equal(a, b) for a, b in zip(batch.to("cpu")[:5], tensors, strict=True))


def test_bucket_sampler_respects_budgets_and_covers_every_example_once() -> None:
    lengths = random_lengths(1000)
    sampler = BucketBatchSampler(lengths, batch_tokens=200, max_sentences=16, seed=1)
    batches = list(sampler)
    assert len(batches) == len(sampler)
    assert sorted(i for b in batches for i in b) == list(range(len(lengths)))
    for batch in batches:
        assert len(batch) <= 16 and len(batch) * max(lengths[i] for i in batch) <= 200


def test_bucket_sampler_groups_similar_lengths() -> None:
    lengths = random_lengths(1000)
    batches = list(BucketBatchSampler(lengths, batch_tokens=400, max_sentences=64, seed=1))
    padded = sum(len(b) * max(lengths[i] for i in b) for b in batches)
    assert padded < 1.2 * sum(lengths)  # far less padding than random batches would have


def test_bucket_sampler_is_deterministic_per_epoch_and_varies_across_epochs() -> None:
    lengths = random_lengths(500)
    a = BucketBatchSampler(lengths, batch_tokens=300, max_sentences=32, seed=5)
    b = BucketBatchSampler(lengths, batch_tokens=300, max_sentences=32, seed=5)
    epoch0 = list(a)
    assert epoch0 == list(b) == list(a)
    a.set_epoch(1)
    assert list(a) != epoch0
    b.sampler.set_epoch(1)  # the hook Lightning calls: dataloader.batch_sampler.sampler.set_epoch
    assert list(a) == list(b)
    assert list(BucketBatchSampler(lengths, batch_tokens=300, max_sentences=32, seed=6)) != epoch0


def test_bucket_sampler_has_the_same_number_of_batches_every_epoch() -> None:
    sampler = BucketBatchSampler(random_lengths(3000), batch_tokens=500, max_sentences=40, seed=0)
    counts = set()
    for epoch in range(5):
        sampler.set_epoch(epoch)
        counts.add(len(list(sampler)))
    assert counts == {len(sampler)}


@pytest.mark.parametrize("epoch", [0, 1, 2])
def test_bucket_sampler_ranks_are_disjoint_and_equally_long(epoch: int) -> None:
    lengths = random_lengths(777)
    ranks = [BucketBatchSampler(lengths, 300, 32, seed=3, rank=r, world_size=2) for r in range(2)]
    for sampler in ranks:
        sampler.set_epoch(epoch)
    batches = [list(s) for s in ranks]
    assert len(batches[0]) == len(batches[1]) == len(ranks[0]) > 0
    seen = [{i for b in rank_batches for i in b} for rank_batches in batches]
    assert not seen[0] & seen[1]
    total = sum(len(s) for s in seen)
    assert total == sum(len(b) for rank_batches in batches for b in rank_batches)  # no repeats within a rank
    assert total > 0.9 * len(lengths)  # at most the odd tail batch is dropped


def test_bucket_sampler_rejects_bad_rank() -> None:
    with pytest.raises(ValueError, match="rank"):
        BucketBatchSampler([3, 4], 100, 8, rank=2, world_size=2)


def test_sorted_batches_shard_by_rank() -> None:
    lengths = random_lengths(103)
    whole = sorted_batches(lengths, 10)
    assert [lengths[i] for b in whole for i in b] == sorted(lengths) and max(len(b) for b in whole) == 10
    shards = [sorted_batches(lengths, 10, rank=r, world_size=2) for r in range(2)]
    assert sorted(i for s in shards for b in s for i in b) == list(range(len(lengths)))


def build_mirror(folder: Path, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """A fake mirror of synthetic de/en pairs (the same 60 pairs in every split) with CHECKSUMS patched."""
    rng = random.Random(0)
    pairs = [(" ".join(rng.choices(WORDS, k=rng.randint(2, 8))), f"sentence number {i} .") for i in range(58)]
    pairs += [("", "an empty source"), (" ".join(WORDS * 3), "a very long source")]
    folder.mkdir()
    checksums = {}
    for split in multi30k.SPLITS:
        for side, lang in enumerate(("de", "en")):
            data = gzip.compress("".join(p[side] + "\n" for p in pairs).encode("utf-8"))
            (folder / f"{split}.{lang}.gz").write_bytes(data)
            checksums[f"{split}.{lang}.gz"] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(multi30k, "CHECKSUMS", checksums)
    return pairs


def test_datamodule_end_to_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pairs = build_mirror(tmp_path / "mirror", monkeypatch)
    monkeypatch.chdir(tmp_path)
    cfg = Config(
        name="dm",
        data=DataConfig(src_lang="de", tgt_lang="en", mirror=str(tmp_path / "mirror"), vocab_size=100, max_len=20),
        train=TrainConfig(batch_tokens=64, max_batch_sentences=8),
        decode=DecodeConfig(batch_size=7),
    )
    dm = TranslationDataModule(cfg)
    dm.prepare_data()
    assert (tmp_path / "runs" / "dm" / "spm" / "spm.model").is_file()
    dm.setup("fit")
    assert dm.tokenizer is not None and dm.val_references == [t for _, t in pairs]
    kept = {index for index, _, _ in dm.train_data.__getitems__(range(len(dm.train_data)))}
    assert len(pairs) - 2 not in kept and len(pairs) - 1 not in kept  # empty and too-long sources dropped
    train_seen = []
    for batch in dm.train_dataloader():
        assert isinstance(batch, Batch)
        assert batch.tgt_out.numel() <= 64 and batch.src.size(0) <= 8
        train_seen += batch.index.tolist()
    assert sorted(train_seen) == sorted(kept)
    val_seen = []
    for batch in dm.val_dataloader():
        assert batch.src.size(0) <= 7 and batch.src.size(1) <= cfg.data.max_len and bool((batch.src_len >= 1).all())
        for row, index in zip(batch.tgt_out.tolist(), batch.index.tolist(), strict=True):
            assert dm.tokenizer.decode_target(row) == dm.val_references[index]
            val_seen.append(index)
    assert sorted(val_seen) == list(range(len(pairs)))


def test_val_limit_and_missing_setup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    build_mirror(tmp_path / "mirror", monkeypatch)
    monkeypatch.chdir(tmp_path)
    data = DataConfig(src_lang="de", tgt_lang="en", mirror="mirror", vocab_size=100, max_val_pairs=5)
    dm = TranslationDataModule(Config(name="lim", data=data))
    with pytest.raises(RuntimeError, match="setup"):
        dm.val_dataloader()
    dm.prepare_data()
    dm.setup("validate")
    assert len(dm.val_references) == len(dm.val_examples) == 5 and len(dm.train_data) == 0


class _RecordingModule(pl.LightningModule):
    """Records the example indices of every training batch, per epoch."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: list[list[list[int]]] = []

    def training_step(self, batch: Batch, batch_idx: int) -> torch.Tensor:
        if batch_idx == 0:
            self.seen.append([])
        self.seen[-1].append(batch.index.tolist())
        return (self.weight * batch.src.float()).sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.0)


def test_lightning_sets_the_sampler_epoch() -> None:
    examples = [(i, [5] * n, [6] * n) for i, n in enumerate(random_lengths(120))]
    lengths = [len(tgt) + 1 for _, _, tgt in examples]
    loader = DataLoader(examples, batch_sampler=BucketBatchSampler(lengths, 128, 8, seed=2), collate_fn=collate)
    module = _RecordingModule()
    trainer = pl.Trainer(
        max_epochs=2,
        accelerator="cpu",
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        use_distributed_sampler=False,
    )
    trainer.fit(module, train_dataloaders=loader)
    expected = BucketBatchSampler(lengths, 128, 8, seed=2)
    for epoch, seen in enumerate(module.seen):
        expected.set_epoch(epoch)
        assert seen == list(expected)
    assert len(module.seen) == 2 and module.seen[0] != module.seen[1]
