"""The learning-rate schedules and the precision that ``auto`` resolves to, with values known by hand."""

from __future__ import annotations

import math

import pytest
import torch

from training.config import Config, TrainConfig
from training.module import TranslationModule
from training.step_options import resolve_precision
from training.train import scoring_device
from translator.config import ModelConfig

TINY = ModelConfig(src_vocab_size=20, tgt_vocab_size=20, emb_dim=8, hidden_size=8, enc_layers=1, dec_layers=1)


def module(**train) -> TranslationModule:
    return TranslationModule(Config(model=TINY, train=TrainConfig(**train)))


def learning_rates(mod: TranslationModule, steps: int) -> list[float]:
    """The rate of each of the first ``steps`` optimizer steps under the configured scheduler."""
    setup = mod.configure_optimizers()
    optimizer, scheduler = setup["optimizer"], setup["lr_scheduler"]["scheduler"]
    rates = []
    for _ in range(steps):
        rates.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    return rates


def test_inverse_sqrt_warms_up_linearly_then_decays():
    rates = learning_rates(module(lr=0.01, warmup_steps=4, min_lr=0.0), 17)
    # step 0 counts as step 1: 1/4, 1/4, 2/4, 3/4 of lr, then lr * sqrt(4 / step)
    expected = [0.0025, 0.0025, 0.005, 0.0075] + [0.01 * math.sqrt(4 / s) for s in range(4, 17)]
    assert rates == pytest.approx(expected)
    assert rates[16] == pytest.approx(0.005)  # sqrt(4 / 16) = 1/2


def test_inverse_sqrt_is_floored_at_min_lr():
    rates = learning_rates(module(lr=0.01, warmup_steps=1, min_lr=0.004), 12)
    assert rates[:7] == pytest.approx([0.01, 0.01] + [0.01 / math.sqrt(s) for s in range(2, 7)])
    assert rates[7:] == pytest.approx([0.004] * 5)  # 0.01 / sqrt(7) = 0.0038 < min_lr


def test_plateau_halves_the_rate_when_bleu_stops_improving():
    setup = module(lr=0.01, schedule="plateau", min_lr=0.002).configure_optimizers()
    optimizer, scheduler = setup["optimizer"], setup["lr_scheduler"]["scheduler"]
    assert setup["lr_scheduler"]["monitor"] == "val_bleu"
    rates = []
    for bleu in [10.0, 12.0, 12.0, 11.0, 11.5, 11.0, 10.0, 9.0, 8.0, 7.0]:
        scheduler.step(bleu)
        rates.append(optimizer.param_groups[0]["lr"])
    # patience 1: the second epoch without a new best halves the rate; floored at min_lr
    assert rates == pytest.approx([0.01, 0.01, 0.01, 0.005, 0.005, 0.0025, 0.0025, 0.002, 0.002, 0.002])


@pytest.mark.parametrize("explicit", ["32-true", "bf16-mixed", "16-mixed"])
def test_explicit_precision_is_kept(explicit, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert resolve_precision(explicit) == explicit


@pytest.mark.parametrize(
    ("cuda", "cuda_bf16", "cpu_bf16", "expected"),
    [
        (True, True, False, "bf16-mixed"),
        (True, False, True, "16-mixed"),
        (False, False, True, "bf16-mixed"),
        (False, False, False, "32-true"),
    ],
)
def test_auto_precision_follows_the_hardware(monkeypatch, cuda, cuda_bf16, cpu_bf16, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *args, **kwargs: cuda_bf16)
    monkeypatch.setattr(torch.backends.mkldnn, "is_available", lambda: True)
    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", lambda: cpu_bf16)
    assert resolve_precision("auto") == expected


def test_auto_precision_without_the_cpu_probe_is_fp32(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)

    def missing():
        raise RuntimeError("no such op")

    monkeypatch.setattr(torch.ops.mkldnn, "_is_mkldnn_bf16_supported", missing)
    assert resolve_precision("auto") == "32-true"


@pytest.mark.parametrize(
    ("accelerator", "cuda", "expected"),
    [
        ("auto", True, "cuda"),
        ("gpu", True, "cuda"),
        ("cuda", True, "cuda"),
        ("cpu", True, "cpu"),
        ("auto", False, "cpu"),
    ],
)
def test_the_package_is_scored_on_the_gpu_only_where_training_may_use_one(monkeypatch, accelerator, cuda, expected):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
    assert scoring_device(Config(model=TINY, train=TrainConfig(accelerator=accelerator))) == expected
