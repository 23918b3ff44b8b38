"""The teacher's links of the aligned pairs, mapped from the aligner's words back to the gold set's tokens."""

from __future__ import annotations

from experiments.teacher_aer import main, to_gold_tokens, token_of_words


def test_moses_words_map_to_the_gold_token_they_start_in() -> None:
    # Moses splits the gold token "'s" into ' and s: both belong to gold token 2
    assert token_of_words("the minister 's office .", "moses", "en") == [0, 1, 2, 2, 3, 4]
    assert token_of_words("the minister 's office .", "whitespace", "en") == [0, 1, 2, 3, 4]


def test_links_of_split_words_merge_and_out_of_range_links_drop() -> None:
    source, target = [0, 1, 1, 1, 2], [0, 1, 2]
    assert to_gold_tokens({(1, 1), (3, 1), (4, 2), (9, 0)}, source, target) == {(1, 1), (2, 2)}


def gold_dir(tmp_path, pairs: str, links: str):  # noqa: ANN001, ANN201
    """A gold folder with one dev.src-tgt and one dev.gold."""
    gold = tmp_path / "gold"
    gold.mkdir()
    (gold / "dev.src-tgt").write_text(pairs, encoding="utf-8")
    (gold / "dev.gold").write_text(links, encoding="utf-8")
    return gold


def test_the_command_scores_the_last_lines_against_the_gold(tmp_path, capsys) -> None:  # noqa: ANN001
    gold = gold_dir(tmp_path, "the minister 's office ||| le bureau du ministre\n", "1-1 2-4 3-4 4-2 2p3\n")
    # a training pair first, then the dev pair over Moses words (the minister ' s office): ' and s both
    # link to ministre, which is one link 's-ministre of the gold's tokens
    (tmp_path / "train.links").write_text("0-0\n0-0 1-3 2-3 3-3 4-1\n", encoding="utf-8")
    assert main(["--links", str(tmp_path / "train.links"), "--gold-dir", str(gold), "--no-record"]) == 0
    assert "AER 0.0000 precision 1.0000 recall 1.0000" in capsys.readouterr().out


def test_a_links_file_shorter_than_the_pairs_is_one_error_line(tmp_path, capsys) -> None:  # noqa: ANN001
    gold = gold_dir(tmp_path, "a b ||| c d\nc ||| d\n", "1-1\n1-1\n")
    (tmp_path / "train.links").write_text("0-0\n", encoding="utf-8")
    assert main(["--links", str(tmp_path / "train.links"), "--gold-dir", str(gold)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error:") and err.count("\n") == 1
