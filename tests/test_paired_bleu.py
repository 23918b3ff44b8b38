"""The paired BLEU/chrF bootstrap: answers known by construction (the reference itself against word salad is a
real difference, two systems that differ in one word of forty sentences are not) and bad files refused."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from experiments.paired_bleu import SIGNIFICANCE, main, paired_bootstrap

WORDS = ["a", "man", "woman", "dog", "child", "red", "ball", "runs", "jumps", "on", "the", "in", "park", "with"]


def _sentences(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(WORDS, k=rng.randint(6, 12))) for _ in range(n)]


REFS = _sentences(40, seed=0)
SALAD = _sentences(40, seed=1)  # unrelated sentences over the same words


def test_the_reference_is_really_better_than_unrelated_sentences() -> None:
    rows = paired_bootstrap(REFS, {"salad": SALAD, "ref": REFS}, samples=100)
    assert {row["metric"] for row in rows} == {"BLEU", "chrF2"}
    for row in rows:
        assert row["system"] == "ref" and row["score"] == pytest.approx(100.0)
        assert row["delta"] == pytest.approx(100.0 - row["baseline"]) and row["delta"] > 0
        assert row["p"] < SIGNIFICANCE and row["low"] <= row["score"] <= row["high"] + 1e-6
        assert row["signature"].startswith("nrefs:1|bs:100|")


def test_one_changed_word_in_forty_sentences_is_not_a_shown_difference() -> None:
    near = list(REFS)
    near[0] = near[0].replace(near[0].split()[0], "zebra", 1)
    for row in paired_bootstrap(REFS, {"ref": REFS, "near": near}, samples=100):
        assert row["delta"] < 0 and row["p"] >= SIGNIFICANCE


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
    return path


def test_the_command_prints_each_metric_and_appends_rows(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ref, base, sys_ = _write(tmp_path / "ref", REFS), _write(tmp_path / "b", SALAD), _write(tmp_path / "s", REFS)
    results = tmp_path / "results.jsonl"
    args = ["--ref", str(ref), "--baseline", str(base), "--system", str(sys_), "--samples", "50"]
    assert main([*args, "--results", str(results)]) == 0
    out = capsys.readouterr().out
    assert out.count("difference real") == 2
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    assert [row["kind"] for row in rows] == ["significance"] * 2 and rows[0]["baseline_file"] == str(base)


@pytest.mark.parametrize("problem", ["short", "missing", "not-utf8", "same", "samples"])
def test_bad_input_is_one_error_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture, problem: str) -> None:
    ref, base, sys_ = _write(tmp_path / "ref", REFS), _write(tmp_path / "b", SALAD), _write(tmp_path / "s", REFS)
    samples = "0" if problem == "samples" else "50"
    if problem == "short":
        _write(sys_, REFS[:-1])
    elif problem == "missing":
        sys_.unlink()
    elif problem == "not-utf8":
        sys_.write_bytes(b"\xff\xfe bad\n" * len(REFS))
    elif problem == "same":
        sys_ = base
    results = tmp_path / "results.jsonl"
    args = ["--ref", str(ref), "--baseline", str(base), "--system", str(sys_), "--samples", samples]
    assert main([*args, "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert not results.exists()
