"""New text in a general vocabulary: word figures counted per occurrence, AER split into links that touch a new
word and the rest (answers known by construction), and bad arguments refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tiny_package import build_tiny_package

from experiments.new_text_vocab import aer_by_novelty, main, word_figures
from translator.alignment.links import GoldLinks
from translator.special import UNK_ID


def test_word_figures_count_every_occurrence() -> None:
    pieces = {"a": [5], "bb": [5, 6, 7], "c": [UNK_ID, 4]}
    f = word_figures(["a", "bb", "bb", "c"], pieces.__getitem__)
    assert (f.words, f.pieces_per_word, f.fragmented, f.unknown) == (4, 9 / 4, 2 / 4, 1 / 4)


def test_links_are_split_by_whether_they_touch_a_new_word() -> None:
    pairs = [("the zebra runs", "le zèbre court")]  # "zebra" and "zèbre" are new
    known = ({"the", "runs"}, {"le", "court"})
    gold = [GoldLinks(sure=frozenset({(0, 0), (1, 1), (2, 2)}), possible=frozenset())]
    predicted = [{(0, 0), (2, 2), (1, 0)}]  # the new word's link is wrong
    scores = aer_by_novelty(pairs, gold, predicted, known)
    assert scores["known"].aer == 0.0 and scores["known"].sure == 2
    assert scores["new"].aer == 1.0 and scores["new"].sure == 1 and scores["new"].predicted == 1
    assert scores["all"].sure == 3


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("newtext")
    build_tiny_package(root / "enfr", root / "spm", pair=("en", "fr"))
    data = root / "data"
    data.mkdir()
    (data / "train.en").write_text("The man runs .\nA dog sits .\n", encoding="utf-8")
    (data / "train.fr").write_text("L'homme court .\nUn chien est assis .\n", encoding="utf-8")
    (root / "dev.src-tgt").write_text("the man sits ||| l' homme est assis\nparliament ||| parlement\n", "utf-8")
    (root / "dev.gold").write_text("1-1 2-2 3-3 3p4\n1-1\n", encoding="utf-8")
    (root / "dev.links").write_text("0-0 1-1 2-2\n0-0\n", encoding="utf-8")
    return root


def test_the_command_reports_both_sides_and_every_set_of_links(files: Path, capsys: pytest.CaptureFixture) -> None:
    results = files / "results.jsonl"
    args = ["--spm", str(files / "enfr"), "--pairs", str(files / "dev.src-tgt"), "--gold", str(files / "dev.gold")]
    args += ["--links", f"mine={files / 'dev.links'}", "--data-dir", str(files / "data"), "--results", str(results)]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "en new   words:     1" in out and "fr new   words:     1" in out  # parliament, parlement
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
    split = {row["name"]: row["aer"] for row in rows if row.get("links") == "mine"}
    assert set(split) == {f"AER by word novelty {part}" for part in ("all", "new", "known")}
    assert split["AER by word novelty new"] == 0.0  # parliament-parlement, linked as the gold links it


@pytest.mark.parametrize("problem", ["links-without-gold", "other-pair", "not-a-package"])
def test_bad_arguments_are_one_error_line(files: Path, capsys: pytest.CaptureFixture, problem: str) -> None:
    args = ["--spm", str(files / "enfr"), "--pairs", str(files / "dev.src-tgt"), "--data-dir", str(files / "data")]
    if problem == "links-without-gold":
        args += ["--links", f"mine={files / 'dev.links'}"]
    elif problem == "other-pair":
        args += ["--pair", "de-en"]
    else:
        args[1] = str(files / "spm")  # an spm folder: no metadata, so --pair is needed
    assert main([*args, "--results", str(files / "x.jsonl")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ")
    assert not (files / "x.jsonl").exists()
