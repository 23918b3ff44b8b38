"""A run killed mid-epoch and resumed reads exactly the batches of a run that never stopped."""

from __future__ import annotations

import random
import warnings
from pathlib import Path

import pytest
import pytorch_lightning as pl
import torch
from pytorch_lightning.callbacks import ModelCheckpoint
from torch.utils.data import DataLoader

from training.resumable_loader import ResumableLoader
from training.sampler import BucketBatchSampler

N = 60  # examples: 6-position batches at the sizes below, about 10 a pass


def sampler(weights: list[float] | None = None) -> BucketBatchSampler:
    rng = random.Random(3)
    lengths = [rng.randint(2, 9) for _ in range(N)]
    return BucketBatchSampler(lengths, batch_tokens=30, max_sentences=6, seed=7, weights=weights)


def loader(kind: type[DataLoader] = ResumableLoader, weights: list[float] | None = None) -> DataLoader:
    """Batches of example positions (the dataset is the positions themselves)."""
    return kind(list(range(N)), batch_sampler=sampler(weights), collate_fn=list)


def one_pass(dl: DataLoader, epoch: int) -> list[list[int]]:
    dl.batch_sampler.set_epoch(epoch)
    return list(dl)


@pytest.mark.parametrize("weights", [None, [0.5 + (i % 3) for i in range(N)]])
def test_a_pass_resumed_from_a_saved_state_reads_the_rest_of_the_epoch(weights) -> None:
    full = one_pass(loader(weights=weights), epoch=2)
    first = loader(weights=weights)
    first.batch_sampler.set_epoch(2)
    batches = iter(first)
    read = [next(batches) for _ in range(4)]
    state = first.state_dict()
    assert state == {"epoch": 2, "batches": 4}

    second = loader(weights=weights)
    second.load_state_dict(state)
    rest = one_pass(second, epoch=2)
    assert read + rest == full
    assert second.state_dict() == {"epoch": 2, "batches": len(full)}
    assert one_pass(second, epoch=3) == one_pass(loader(weights=weights), epoch=3)  # the skip is used once


def test_a_state_from_another_epoch_or_an_epoch_end_skips_nothing() -> None:
    for state in ({"epoch": 1, "batches": 4}, {"epoch": 2, "batches": len(loader())}):
        dl = loader()
        dl.load_state_dict(state)
        assert one_pass(dl, epoch=2) == one_pass(loader(), epoch=2)


def test_it_needs_the_bucket_sampler() -> None:
    with pytest.raises(TypeError, match="BucketBatchSampler"):
        ResumableLoader(list(range(4)), batch_sampler=[[0, 1], [2, 3]])


class Recorder(pl.LightningModule):
    """Trains one weight and records the example positions of every batch it trains on."""

    def __init__(self, kind: type[DataLoader]) -> None:
        super().__init__()
        self.kind = kind
        self.weight = torch.nn.Parameter(torch.zeros(1))
        self.seen: list[list[int]] = []

    def train_dataloader(self) -> DataLoader:
        return loader(self.kind)

    def training_step(self, batch: list[int], batch_idx: int) -> torch.Tensor:
        self.seen.append(list(batch))
        return (self.weight - float(len(batch))).pow(2).sum()

    def configure_optimizers(self) -> torch.optim.Optimizer:
        return torch.optim.SGD(self.parameters(), lr=0.01)


def fit(kind: type[DataLoader], root: Path, max_steps: int = -1, ckpt_path: str | None = None) -> list[list[int]]:
    module = Recorder(kind)
    checkpoint = ModelCheckpoint(dirpath=root, save_last=True, save_top_k=0, every_n_train_steps=max(max_steps, 1))
    trainer = pl.Trainer(
        max_epochs=3,
        max_steps=max_steps,
        accelerator="cpu",
        devices=1,
        callbacks=[checkpoint],
        logger=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        use_distributed_sampler=False,
        default_root_dir=root,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Lightning's notes on a tiny run (few workers, small log interval)
        trainer.fit(module, ckpt_path=ckpt_path)
    return module.seen


def killed_and_resumed(kind: type[DataLoader], root: Path) -> list[list[int]]:
    """Three epochs, stopped 4 batches into the second (its checkpoint then), resumed to the end."""
    stop = len(loader()) + 4
    before = fit(kind, root, max_steps=stop)
    after = fit(kind, root, ckpt_path=str(root / "last.ckpt"))
    return before + after


def test_lightning_resumes_mid_epoch_where_the_killed_run_stopped(tmp_path) -> None:
    uninterrupted = fit(ResumableLoader, tmp_path / "whole")
    assert len(uninterrupted) == 3 * len(loader())
    assert killed_and_resumed(ResumableLoader, tmp_path / "resumed") == uninterrupted


def test_a_plain_loader_reads_the_start_of_the_epoch_again(tmp_path) -> None:
    """What the resumable loader mends: the same run with a plain DataLoader reads other batches."""
    uninterrupted = fit(DataLoader, tmp_path / "whole")
    resumed = killed_and_resumed(DataLoader, tmp_path / "resumed")
    assert len(resumed) == len(uninterrupted) and resumed != uninterrupted
    per_epoch = len(loader())
    assert resumed[per_epoch + 4] == uninterrupted[per_epoch]  # the second epoch's first batch, read again
