"""``device``: where a server's packages decode. A CUDA device the machine lacks stops start-up with one
error line (no traceback); on a machine with a GPU, answers from the GPU match the CPU's."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from serve.app import catalog_of, create_app
from serve.catalog import load_translators
from serve.loadcheck import main as loadcheck
from serve.settings import Settings
from translator.package import PackageError, check_device

HAS_CUDA = torch.cuda.is_available()
TEXT = "Ein Mann fährt Fahrrad. Zwei Hunde spielen im Schnee."


def test_cpu_is_always_there(tiny_package: Path) -> None:
    check_device("cpu")
    (translator,) = load_translators([tiny_package], None, "cpu")
    assert translator.device.type == "cpu"
    assert loadcheck([str(tiny_package), "auto", "cpu"]) == 0


@pytest.mark.skipif(HAS_CUDA, reason="needs a machine without CUDA")
def test_a_missing_gpu_is_a_clear_start_up_error(tiny_package: Path) -> None:
    with pytest.raises(PackageError, match="'cuda:1' asked for, but this machine has 0 CUDA device"):
        load_translators([tiny_package], None, "cuda:1")
    assert loadcheck([str(tiny_package), "auto", "cuda"]) == 1
    proc = subprocess.run(
        [sys.executable, "-m", "serve", "--model", str(tiny_package), "--device", "cuda", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().splitlines() == [
        "error: cannot load model package: device 'cuda' asked for, but this machine has 0 CUDA device(s)"
    ]


@pytest.mark.skipif(not HAS_CUDA, reason="needs a CUDA GPU")
def test_gpu_answers_match_cpu_answers(tiny_package: Path, settings: Settings) -> None:
    """fp32 on both: the same greedy pieces, and alignments equal within TF32 rounding (cuDNN may use it)."""
    answers = {}
    for device in ("cpu", "cuda"):
        app = create_app(tiny_package, dataclasses.replace(settings, device=device))
        try:
            reply = app.test_client().post("/v1/translate", json={"text": TEXT, "beam_size": 1})
            assert reply.status_code == 200, reply.get_data(as_text=True)
            answers[device] = reply.get_json()["translations"][0]
            assert catalog_of(app).resolve(None, None).translator.device.type == device
        finally:
            catalog_of(app).close()
    cpu, gpu = answers["cpu"], answers["cuda"]
    assert [s["target_tokens"] for s in gpu["sentences"]] == [s["target_tokens"] for s in cpu["sentences"]]
    for a, b in zip(cpu["sentences"], gpu["sentences"]):
        torch.testing.assert_close(torch.tensor(b["alignment"]), torch.tensor(a["alignment"]), rtol=0, atol=1e-3)
