"""The training benchmark times the real step: TranslationModule.training_step under a Lightning Trainer,
one optimizer step per batch, and one timing per step."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch
from tiny_package import SAMPLE_SOURCES, build_tiny_package

from bench.bench_abuse import largest_request
from bench.bench_step import main as bench_step
from bench.bench_train import run_steps
from bench.serve_load import rss_mib
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


def test_bench_step_reports_steps_and_operator_shares_per_scheme(tmp_path):
    package = build_tiny_package(tmp_path / "package", tmp_path / "spm")
    source = tmp_path / "source.txt"
    source.write_text("\n".join(SAMPLE_SOURCES * 4) + "\n", encoding="utf-8")
    out = tmp_path / "step.json"
    args = ["--model", str(package), "--source", str(source), "--quantize", "none", "int8", "--sentences", "10"]
    assert bench_step([*args, "--out", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))["schemes"]
    assert set(report) == {"none", "int8"}
    for row in report.values():
        assert row["steps_per_sentence"] >= 1  # at least the end of sentence
        assert row["ms_per_step"] * row["steps_per_sentence"] == pytest.approx(row["ms_per_sentence"], rel=0.05)
        assert row["operators_share_of_wall"] > 0 and 0 <= row["matrix_share_of_operators"] <= 1
        assert row["top"] and all(0 < op["share_of_operators"] <= 1 and op["calls"] > 0 for op in row["top"])
    assert any(op["op"].startswith("quantized::") for op in report["int8"]["top"])  # int8 kernels really ran


@pytest.mark.parametrize(
    "limits",
    [
        {"max_text_chars": 5000, "max_sentences": 256, "max_texts": 64, "max_request_chars": 64000},
        {"max_text_chars": 200, "max_sentences": 8, "max_texts": 3, "max_request_chars": 400},
        {"max_text_chars": 20, "max_sentences": 1, "max_texts": 1, "max_request_chars": 20},
    ],
)
def test_the_largest_paragraph_request_stays_within_every_limit(limits):
    request = largest_request({**limits, "max_sentence_chars": 1000, "max_beam": 16}, paragraphs=True)
    texts = request["texts"]
    sentences = sum(text.count(".") for text in texts)
    assert request["split"] and request["word_alignment"] and request["beam_size"] == 1
    assert 1 <= len(texts) <= limits["max_texts"] and sentences <= limits["max_sentences"]
    assert max(map(len, texts)) <= limits["max_text_chars"] and sum(map(len, texts)) <= limits["max_request_chars"]
    assert sentences >= min(limits["max_sentences"], limits["max_text_chars"] // 40)  # close to the limits


def test_the_largest_decoding_request_fills_the_texts_at_the_widest_beam():
    limits = {"max_sentence_chars": 1000, "max_texts": 64, "max_request_chars": 64000, "max_beam": 16}
    request = largest_request(limits, paragraphs=False)
    assert len(request["texts"]) == 64 and {len(t) for t in request["texts"]} == {1000}
    assert request["beam_size"] == 16 and request["split"] is False


NESTED = """
import subprocess, sys
depth = int(sys.argv[1])
if depth:  # start the next level and wait until it is up
    child = subprocess.Popen([sys.executable, "-c", sys.argv[2], str(depth - 1), sys.argv[2]],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    child.stdout.readline()
print("ready", flush=True)
sys.stdin.read()
if depth:
    child.stdin.close()
    child.wait()
"""


def _own_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        return float(next(line.split()[1] for line in status if line.startswith("VmRSS:"))) / 1024.0


def test_server_memory_counts_every_descendant_process():
    """``rss_mib`` of a process adds its children's children (gunicorn workers under routed instances)."""
    proc = subprocess.Popen([sys.executable, "-c", NESTED, "2", NESTED], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert proc.stdout.readline() == b"ready\n"  # three interpreters: this child, its child, a grandchild
        assert rss_mib(proc.pid) > 2.5 * _own_rss_mib(proc.pid)
    finally:
        proc.stdin.close()
        proc.wait(30)
