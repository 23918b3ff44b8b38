"""Links of the model's own translations against eflomal's: the kinds of disagreement on hand-made links, and
the whole measurement on a tiny package (its rows recorded, precision and recall in range)."""

from __future__ import annotations

import json
from pathlib import Path

from test_glossary_eval import write_word_pairs
from tiny_package import build_tiny_package

from experiments.own_output_links import compare, kind
from experiments.own_output_links import main as own_output_links

WORDS = (["a", "dog", "runs", ",", "fast"], ["un", "chien", "court", ",", "vite"])


def test_each_disagreement_gets_its_kind() -> None:
    ours, theirs = {(0, 0), (1, 2), (3, 3), (4, 0)}, {(0, 0), (1, 1), (2, 2), (4, 4)}
    assert kind((1, 2), ours, theirs, WORDS) == "neighbour"  # eflomal: dog -> chien, one word away
    assert kind((3, 3), ours, theirs, WORDS) == "punctuation"
    assert kind((2, 2), ours, theirs, WORDS) == "missed"  # "runs" linked to nothing by the rule
    assert kind((4, 0), ours, theirs, WORDS) == "other"  # eflomal links "fast" elsewhere, far away
    precision, recall, kinds, examples = compare([ours], [theirs], [WORDS])
    assert (precision, recall) == (0.25, 0.25) and sum(kinds.values()) == 6
    assert examples["missed"] == "runs -> court (eflomal only) in 'a dog runs , fast'"


def test_the_measurement_runs_on_a_tiny_package(tmp_path: Path) -> None:
    package = build_tiny_package(tmp_path / "package", tmp_path / "spm")
    data = write_word_pairs(tmp_path / "data")
    results = tmp_path / "results.jsonl"
    args = ["--model", str(package), "--data-dir", str(data), "--sentences", "20", "--results", str(results)]
    assert own_output_links(args) == 0
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert [r["name"] for r in rows] == ["own output argmax vs eflomal", "own output mutual vs eflomal"]
    assert all(0 <= r["precision"] <= 1 and 0 <= r["recall"] <= 1 for r in rows)
