"""The side-by-side cost bench: runs interleaved new/old after a warm-up each, the same sentences and settings
for both, each model at its own beam, and bad arguments or packages of another pair refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch
from test_glossary_eval import write_word_pairs
from tiny_package import build_tiny_package

from bench.bench_cost import main as bench_cost
from bench.bench_cost import side_by_side


class ScriptedTranslator:
    """Records every call into a shared log; each output is the name and beam."""

    device = torch.device("cpu")

    def __init__(self, name: str, log: list) -> None:
        self.name, self.log = name, log

    def translate(self, texts: list[str], beam_size: int, batch_size: int) -> list:
        self.log.append((self.name, len(texts), beam_size, batch_size))
        return [type("T", (), {"text": f"{self.name}{beam_size}"})() for _ in texts]


def test_runs_alternate_after_one_warm_up_each_with_the_same_sentences() -> None:
    log: list = []
    models = {"new": (ScriptedTranslator("new", log), 1), "old": (ScriptedTranslator("old", log), 5)}
    figures = side_by_side(models, ["a"] * 10, batch=4, repeats=3)
    assert log[:2] == [("new", 4, 1, 4), ("old", 4, 5, 4)]  # warm-ups of one batch
    assert log[2:] == [("new", 10, 1, 4), ("old", 10, 5, 4)] * 3
    assert figures["new"][1] == ["new1"] * 10 and figures["old"][1] == ["old5"] * 10
    assert all(seconds >= 0 for seconds, _ in figures.values())


@pytest.fixture(scope="module")
def packages(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("cost")
    build_tiny_package(root / "a", root / "spm")
    build_tiny_package(root / "enfr", root / "spm-fr", pair=("en", "fr"), seed=1)
    write_word_pairs(root / "data")
    return root


def test_a_package_against_itself_gives_the_same_output_and_one_row(packages: Path) -> None:
    results = packages / "results.jsonl"
    args = ["--model", str(packages / "a"), "--against", str(packages / "a"), "--data-dir", str(packages / "data")]
    assert bench_cost([*args, "--sentences", "8", "--batch", "4", "--repeats", "2", "--results", str(results)]) == 0
    (row,) = (json.loads(line) for line in results.read_text(encoding="utf-8").splitlines())
    assert row["bleu"] == row["against_bleu"] and row["sentences"] == 8 and row["beam"] == row["against_beam"] == 5
    assert row["ratio"] == pytest.approx(row["ms_per_sentence"] / row["against_ms_per_sentence"])


@pytest.mark.parametrize("extra", [["--against", "enfr"], ["--sentences", "0"], ["--against-beam", "0"]])
def test_bad_arguments_are_one_error_line(packages: Path, capsys: pytest.CaptureFixture, extra: list[str]) -> None:
    extra = [str(packages / e) if e == "enfr" else e for e in extra]
    args = ["--model", str(packages / "a"), "--data-dir", str(packages / "data"), "--results", str(packages / "x")]
    assert bench_cost([*args, "--against", str(packages / "a"), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert not (packages / "x").exists()
