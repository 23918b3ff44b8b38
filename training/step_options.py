"""The Trainer options that make one optimizer step what it is: device, strategy, precision, clipping.

Shared by ``training.train.build_trainer`` and the training benchmark (``bench/bench_train.py``), so that the
benchmark times the real step.
"""

from __future__ import annotations

from typing import Any

import torch

from training.config import Config


def resolve_precision(precision: str) -> str:
    """``auto``: bf16 mixed precision where the hardware computes in bf16 natively (CUDA GPUs with
    bf16, CPUs with AVX512-BF16/AMX), full fp32 elsewhere."""
    if precision != "auto":
        return precision
    if torch.cuda.is_available():
        return "bf16-mixed" if torch.cuda.is_bf16_supported() else "16-mixed"
    try:
        native_bf16 = torch.backends.mkldnn.is_available() and torch.ops.mkldnn._is_mkldnn_bf16_supported()
    except (AttributeError, RuntimeError):
        native_bf16 = False
    return "bf16-mixed" if native_bf16 else "32-true"


def step_options(cfg: Config) -> dict[str, Any]:
    """The Trainer options that make one optimizer step what it is (device, strategy, precision, gradient
    clipping): shared by ``build_trainer`` and the training benchmark, so that it times the real step."""
    train = cfg.train
    return {
        "accelerator": train.accelerator,
        "devices": train.devices,
        "num_nodes": train.num_nodes,
        "strategy": train.strategy,
        "precision": resolve_precision(train.precision),
        "gradient_clip_val": train.grad_clip,
        "use_distributed_sampler": False,
    }
