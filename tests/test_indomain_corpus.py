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


def test_the_command_writes_both_files_and_the_pairs_alone(tmp_path, capsys) -> None:  # noqa: ANN001
    data, out = tmp_path / "data", tmp_path / "out"
    data.mkdir()
    (data / "train.en").write_text("A dog.\nTwo cats.\n", encoding="utf-8")
    (data / "train.fr").write_text("Un chien.\nDeux chats.\n", encoding="utf-8")
    (tmp_path / "pairs.txt").write_text("hear , hear ! ||| bravo !\n", encoding="utf-8")
    assert main(["--data-dir", str(data), "--pairs", str(tmp_path / "pairs.txt"), "--out", str(out)]) == 0
    assert (out / "train.en").read_text(encoding="utf-8") == "A dog.\nTwo cats.\nhear , hear !\n"
    assert (out / "train.fr").read_text(encoding="utf-8") == "Un chien.\nDeux chats.\nbravo !\n"
    assert (out / "new.en").read_text(encoding="utf-8") == "hear , hear !\n"
    assert (out / "new.fr").read_text(encoding="utf-8") == "bravo !\n"
    assert "3 pairs (2 Multi30k train + 1 to be aligned)" in capsys.readouterr().out


@pytest.mark.parametrize("pairs_text", ["hear ||| bravo\n", "a line without the separator\n"])
def test_bad_input_is_one_error_line_and_nothing_written(tmp_path, capsys, pairs_text: str) -> None:  # noqa: ANN001
    """A missing training file (first case) or a pairs line without '|||' (second, with the training files
    there)."""
    data = tmp_path / "data"
    if "|||" not in pairs_text:
        data.mkdir()
        (data / "train.en").write_text("A dog.\n", encoding="utf-8")
        (data / "train.fr").write_text("Un chien.\n", encoding="utf-8")
    (tmp_path / "pairs.txt").write_text(pairs_text, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["--data-dir", str(data), "--pairs", str(tmp_path / "pairs.txt"), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert not out.exists()
