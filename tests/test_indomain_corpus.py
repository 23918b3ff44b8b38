"""The in-domain corpus for the alignment study: Multi30k train, then the text of the pairs to be aligned."""

from __future__ import annotations

import pytest

from experiments.indomain_corpus import corpus_lines, main


def test_the_pairs_to_align_follow_the_training_pairs_stripped() -> None:
    en, fr = corpus_lines(["A dog.", "Two cats."], ["Un chien.", "Deux chats."], [("hear , hear !  ", " bravo ! ")])
    assert en == ["A dog.", "Two cats.", "hear , hear !"]
    assert fr == ["Un chien.", "Deux chats.", "bravo !"]


def test_training_sides_of_different_lengths_are_an_error() -> None:
    with pytest.raises(ValueError, match="1 and 2 lines"):
        corpus_lines(["A dog."], ["Un chien.", "Deux chats."], [])


def test_the_command_writes_both_files(tmp_path, capsys) -> None:  # noqa: ANN001
    data, gold, out = tmp_path / "data", tmp_path / "gold", tmp_path / "out"
    data.mkdir()
    gold.mkdir()
    (data / "train.en").write_text("A dog.\nTwo cats.\n", encoding="utf-8")
    (data / "train.fr").write_text("Un chien.\nDeux chats.\n", encoding="utf-8")
    (gold / "dev.src-tgt").write_text("hear , hear ! ||| bravo !\n", encoding="utf-8")
    (gold / "dev.gold").write_text("1-1 3-2\n", encoding="utf-8")
    assert main(["--data-dir", str(data), "--gold-dir", str(gold), "--out", str(out)]) == 0
    assert (out / "train.en").read_text(encoding="utf-8") == "A dog.\nTwo cats.\nhear , hear !\n"
    assert (out / "train.fr").read_text(encoding="utf-8") == "Un chien.\nDeux chats.\nbravo !\n"
    assert "3 pairs (2 Multi30k train + 1 to be aligned)" in capsys.readouterr().out


def test_a_missing_training_file_is_one_error_line_and_nothing_written(tmp_path, capsys) -> None:  # noqa: ANN001
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "dev.src-tgt").write_text("hear ||| bravo\n", encoding="utf-8")
    (gold / "dev.gold").write_text("1-1\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["--data-dir", str(tmp_path / "nowhere"), "--gold-dir", str(gold), "--out", str(out)]) == 2
    assert capsys.readouterr().err.startswith("error: ")
    assert not out.exists()
