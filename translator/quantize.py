"""int8 dynamic quantization of a trained model for CPU inference.

``quantize_int8(model)`` returns a quantized inference copy and leaves ``model`` untouched:

* every ``nn.Linear`` (bridge, attention projections, ``combine``, ``out_proj`` and the tied output
  layer) becomes a dynamic int8 linear layer with per-output-channel weight scales;
* the encoder's bidirectional ``nn.LSTM``/``nn.GRU`` becomes its dynamic int8 counterpart (it still
  takes packed sequences);
* each decoder layer becomes a :class:`QuantizedStepRNN`, an int8 LSTM/GRU cell that ``Decoder.step``
  calls instead of ``torch.lstm_cell`` on raw fp32 weights;
* embeddings stay fp32 (a lookup costs nothing to speak of).

``to_bf16(model)`` returns a bfloat16 copy (every weight and activation in bf16; the search still takes its
log-softmax and the attention softmax in fp32). On CPUs with native bf16 arithmetic (AVX512-BF16, AMX) it
halves the bytes each decoder step reads, which is what bounds a small batch. As with int8, a sentence's
output may differ slightly with its batch-mates (the matrix kernels round differently by shape). Training
on such CPUs already runs in bf16 mixed precision (``precision: auto``). bf16 kernels come from oneDNN, which
(with ideep, torch's wrapper of it) keeps a compiled kernel, holding its own copy of the weights in the
kernel's layout, for every input shape it meets: 1,024 of each by default. A decoder meets new shapes with
every batch size and source length, so a bf16 model's memory grew round after round
(``bench.bench_shape_memory``); ``to_bf16`` caps both caches (``bound_kernel_caches``).

"Dynamic" means int8 weights with activations quantized on the fly, per call, from their range over
the whole batch; inputs and outputs stay fp32, so search code is unchanged. A consequence: an int8
model's output for a sentence may differ slightly with the other sentences in its batch (fp32 does
not). The weights in a package stay fp32; quantization happens at load time (``Translator.load``).
"""

from __future__ import annotations

import copy
import os
import warnings
from collections.abc import Mapping
from typing import Any

import torch
import torch.ao.nn.quantized.dynamic as nnqd
from torch import Tensor, nn
from torch.ao.quantization import QConfig, default_dynamic_qconfig, per_channel_dynamic_qconfig, quantize_dynamic

from translator.config import QUANTIZATIONS
from translator.decoder import StepRNN
from translator.model import Seq2Seq

METADATA_KEY = "quantization"
# The environment variables of oneDNN's and ideep's per-shape kernel caches (read when first used) and the
# capacity ``to_bf16`` gives them unless they are set already.
KERNEL_CACHE_VARIABLES = ("ONEDNN_PRIMITIVE_CACHE_CAPACITY", "LRU_CACHE_CAPACITY")
KERNEL_CACHE_CAPACITY = 128


class QuantizedStepRNN(StepRNN):
    """A single-layer LSTM/GRU decoder layer as a dynamic int8 cell (one ``step`` per target piece)."""

    def __init__(self, rnn: nn.LSTM | nn.GRU, qconfig: QConfig) -> None:
        super().__init__()
        if rnn.num_layers != 1 or rnn.bidirectional or not rnn.bias:
            raise ValueError("QuantizedStepRNN takes a one-layer, one-direction RNN with biases")
        self.is_lstm = isinstance(rnn, nn.LSTM)
        float_cell = (nn.LSTMCell if self.is_lstm else nn.GRUCell)(rnn.input_size, rnn.hidden_size)
        with torch.no_grad():
            for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                getattr(float_cell, name).copy_(getattr(rnn, f"{name}_l0"))
        float_cell.qconfig = qconfig  # type: ignore[assignment]
        self.cell = (nnqd.LSTMCell if self.is_lstm else nnqd.GRUCell).from_float(float_cell)

    def step(self, x: Tensor, h: Tensor, c: Tensor | None) -> tuple[Tensor, Tensor | None]:
        """x (B, In), h/c (B, H) (c None for GRU) -> new h, c."""
        if self.is_lstm:
            assert c is not None, "an LSTM step needs a cell state"
            return self.cell(x, (h, c))
        return self.cell(x, h), None


def quantize_int8(model: Seq2Seq) -> Seq2Seq:
    """An int8 dynamic-quantized inference copy of ``model`` (eval mode, CPU; see the module doc)."""
    if any(p.device.type != "cpu" for p in model.parameters()):
        raise ValueError("int8 dynamic quantization runs on the CPU only")
    qmodel = copy.deepcopy(model).eval()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*quantize.*deprecated", category=UserWarning)
        warnings.filterwarnings("ignore", category=DeprecationWarning)
        decoder = qmodel.decoder
        decoder.layers = nn.ModuleList(QuantizedStepRNN(rnn, default_dynamic_qconfig) for rnn in decoder.layers)
        spec: dict[Any, QConfig] = {nn.Linear: per_channel_dynamic_qconfig, "encoder.rnn": default_dynamic_qconfig}
        quantize_dynamic(qmodel, qconfig_spec=spec, dtype=torch.qint8, inplace=True)
    return qmodel


def bound_kernel_caches(capacity: int = KERNEL_CACHE_CAPACITY) -> None:
    """Cap oneDNN's and ideep's kernel caches at ``capacity`` entries each where the environment does not set
    them already; it takes effect if no oneDNN kernel has run in this process yet (the caches read it once)."""
    for name in KERNEL_CACHE_VARIABLES:
        os.environ.setdefault(name, str(capacity))


def to_bf16(model: Seq2Seq) -> Seq2Seq:
    """A bfloat16 inference copy of ``model`` (eval mode, same device; oneDNN's caches bounded first, see the
    module doc); ``model`` is left as it is."""
    bound_kernel_caches()
    return copy.deepcopy(model).to(dtype=torch.bfloat16).eval()


def resolve_quantization(requested: str | None, metadata: Mapping[str, Any], device_type: str = "cpu") -> str:
    """The scheme to load with: ``requested`` (one of ``QUANTIZATIONS``), or when None the package's
    ``metadata["quantization"]`` (absent: "none"), which is a CPU hint: on a GPU it gives "none"."""
    scheme = requested
    if scheme is None:
        scheme = (metadata.get(METADATA_KEY) or "none") if device_type == "cpu" else "none"
    return _checked(scheme)


def apply_quantization(model: Seq2Seq, scheme: str) -> Seq2Seq:
    """``model`` itself for "none", an int8 copy for "int8", a bfloat16 copy for "bf16"."""
    if _checked(scheme) == "int8":
        return quantize_int8(model)
    return to_bf16(model) if scheme == "bf16" else model


def _checked(scheme: str) -> str:
    """``scheme`` if it is one of ``QUANTIZATIONS``, else ValueError."""
    if scheme not in QUANTIZATIONS:
        raise ValueError(f"unknown quantization {scheme!r}; choose one of {list(QUANTIZATIONS)}")
    return scheme


__all__ = [
    "QUANTIZATIONS",
    "QuantizedStepRNN",
    "apply_quantization",
    "bound_kernel_caches",
    "quantize_int8",
    "resolve_quantization",
    "to_bf16",
]
