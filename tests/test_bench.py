"""The training benchmark times the real step: TranslationModule.training_step under a Lightning Trainer,
one optimizer step per batch, and one timing per step."""

from __future__ import annotations

import torch

from bench.bench_train import run_steps
from training.config import Config, TrainConfig
from training.datamodule import collate
from training.module import TranslationModule
from translator.config import ModelConfig


def test_run_steps_times_one_real_training_step_per_batch(monkeypatch, make_batch):
    cfg = Config(
        model=ModelConfig(src_vocab_size=20, tgt_vocab_size=20, emb_dim=8, hidden_size=8, enc_layers=1, dec_layers=1),
        train=TrainConfig(precision="32-true", accelerator="cpu", devices=1),
    )
    src, src_len = make_batch([5, 3, 4], 20)
    batches = [collate([(i, src[i, : src_len[i]].tolist(), [5 + i, 6]) for i in range(3)]) for _ in range(4)]
    calls, real_step = [], TranslationModule.training_step

    def counted(self, batch, batch_idx):  # noqa: ANN001, ANN202
        calls.append(batch_idx)
        return real_step(self, batch, batch_idx)

    monkeypatch.setattr(TranslationModule, "training_step", counted)
    seconds = run_steps(cfg, batches, torch.device("cpu"))
    assert calls == [0, 1, 2, 3]
    assert len(seconds) == 4 and all(s > 0 for s in seconds)
