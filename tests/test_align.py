"""Forced alignment: its attention is the teacher-forced attention (and search's, for the model's own
output); words keep their pieces; the align and aer commands, and their errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
import torch

from translator.alignment.forced import AlignmentInputError, EncodedSide, encode_pair, force_align, force_batch
from translator.config import DecodeConfig
from translator.padding import lengths_of, pad_ids
from translator.search import max_lengths, search
from translator.translate import Translator

SOURCES = ["Ein Mann fährt Fahrrad .", "Zwei Hunde spielen im Schnee .", "Eine Frau liest ein Buch ."]
TARGETS = ["A man rides a bicycle .", "Two dogs play in the snow .", "A woman reads a book ."]


@pytest.fixture(scope="module")
def translator(trained_run) -> Translator:
    return Translator.load(trained_run.package)


def run_cli(*args, stdin: bytes = b""):
    cmd = [sys.executable, "-m", "translator", *map(str, args)]
    return subprocess.run(cmd, input=stdin, capture_output=True)


def test_word_pieces_are_the_sentence_pieces(translator):
    tok = translator.package.tokenizer
    for source, target in zip(SOURCES, TARGETS, strict=True):
        src, tgt = encode_pair(tok, source, target)
        assert src.ids == tok.encode_source(source)[0] and tgt.ids == tok.encode_target(target)
        assert [src.pieces[a:b] for a, b in src.spans] == [tok.encode_source(w)[1] for w in source.split()]
        assert src.spans[0][0] == 0 and src.spans[-1][1] == len(src.ids)


def test_forced_alignment_of_the_model_output_is_search_attention(translator):
    """Teacher-forcing the model's own beam-1 output reproduces the attention rows search returned."""
    model, tok = translator.package.model, translator.package.tokenizer
    ids = [tok.encode_source(s)[0] for s in SOURCES]
    cfg = DecodeConfig(beam_size=1, length_penalty=0.0)
    hyps = search(model, pad_ids(ids), lengths_of(ids), cfg)
    limits = max_lengths(lengths_of(ids), cfg).tolist()
    sources = [EncodedSide([], [], i, []) for i in ids]
    targets = [EncodedSide([], [], h.tokens, []) for h in hyps]
    for hyp, limit, forced in zip(hyps, limits, force_batch(model, sources, targets), strict=True):
        assert len(forced.attention) == len(hyp.tokens) + 1  # one row per piece, then EOS
        torch.testing.assert_close(torch.tensor(forced.attention[:-1]), hyp.attention, rtol=1e-4, atol=1e-5)
        eos = 0.0 if len(hyp.tokens) == limit else forced.log_probs[-1]  # search forces EOS at the limit
        assert sum(forced.log_probs[:-1]) + eos == pytest.approx(hyp.score, abs=1e-3)


def test_forced_alignment_equals_teacher_forced_attention_in_any_batch(translator, teacher_forced):
    model, tok = translator.package.model, translator.package.tokenizer
    batched = force_align(model, tok, list(zip(SOURCES, TARGETS, strict=True)))
    for (source, target), forced in zip(zip(SOURCES, TARGETS, strict=True), batched, strict=True):
        src = torch.tensor([tok.encode_source(source)[0]])
        tokens = tok.encode_target(target)
        _, attention = teacher_forced([model], src, tokens, False, 0.0)
        torch.testing.assert_close(torch.tensor(forced.attention[:-1]), attention, rtol=1e-4, atol=1e-5)
        matrix = forced.word_matrix()
        assert len(matrix) == len(target.split()) and all(len(row) == len(source.split()) for row in matrix)
        assert all(sum(row) == pytest.approx(1.0, abs=1e-4) for row in matrix)


def test_empty_side_is_an_error(translator):
    with pytest.raises(AlignmentInputError, match="pair 2: the target side is empty"):
        force_align(translator.package.model, translator.package.tokenizer, [("a", "b"), ("Hund", "  ")])


def test_align_command_writes_links_and_json(trained_run, tmp_path):
    text = "".join(f"{s} ||| {t}\n" for s, t in zip(SOURCES, TARGETS, strict=True)).encode()
    out = run_cli("align", "--model", trained_run.package, stdin=text)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.decode().splitlines()
    assert len(lines) == 3
    for line, target in zip(lines, TARGETS, strict=True):
        links = [tuple(map(int, link.split("-"))) for link in line.split()]
        assert sorted(j for _, j in links) == list(range(len(target.split())))  # argmax: one link per target word
    src, tgt = tmp_path / "src", tmp_path / "tgt"
    src.write_text("\n".join(SOURCES) + "\n")
    tgt.write_text("\n".join(TARGETS) + "\n")
    files = run_cli("align", "--model", trained_run.package, "--src", src, "--tgt", tgt)
    assert files.stdout.decode().splitlines() == lines
    both = run_cli(
        "align", "--model", trained_run.package, "--reverse-model", trained_run.package, "--json", stdin=text
    )
    assert both.returncode == 0, both.stderr
    item = json.loads(both.stdout.decode().splitlines()[0])
    assert item["source_words"] == SOURCES[0].split() and len(item["word_alignment"]) == len(TARGETS[0].split())
    assert len(item["piece_alignment"]) == len(item["target_pieces"])


@pytest.mark.parametrize(
    ("stdin", "message"),
    [
        (b"Ein Hund . ||| A dog .\nkein Trenner\n", "line 2: expected 'source ||| target'"),
        (b"a ||| b ||| c\n", "line 1: expected"),
        (b"Ein Hund . |||   \n", "the target side is empty"),
        (b"Ein \xff Hund . ||| A dog .\n", "not UTF-8"),
    ],
)
def test_align_bad_input_is_one_error_line(trained_run, stdin, message):
    out = run_cli("align", "--model", trained_run.package, stdin=stdin)
    assert out.returncode == 2 and out.stdout == b""
    assert out.stderr.decode().count("\n") == 1 and message in out.stderr.decode(), out.stderr


def test_align_mismatched_files(trained_run, tmp_path):
    src, tgt = tmp_path / "src", tmp_path / "tgt"
    src.write_text("a\nb\n")
    tgt.write_text("a\n")
    out = run_cli("align", "--model", trained_run.package, "--src", src, "--tgt", tgt)
    assert out.returncode == 2 and b"has 2 lines but" in out.stderr


def test_aer_command(tmp_path):
    gold, pred, pairs = tmp_path / "gold", tmp_path / "pred", tmp_path / "pairs"
    gold.write_text("1-1 2p2\n1-1\n")
    pred.write_text("0-0 1-1\n0-1\n")
    pairs.write_text("a b ||| a b\na ||| b c\n")
    out = run_cli("aer", "--gold", gold, "--pred", pred, "--one-indexed-gold", "--pairs", pairs, "--json")
    assert out.returncode == 0, out.stderr
    score = json.loads(out.stdout)  # |A| 3, |S| 2, |A∩S| 1, |A∩P| 2: AER = 1 - 3/5
    assert score["aer"] == pytest.approx(0.4) and score["precision"] == pytest.approx(2 / 3)
    assert score["recall"] == pytest.approx(0.5)
    pred.write_text("0-0 1-1\n0-2\n")
    out = run_cli("aer", "--gold", gold, "--pred", pred, "--one-indexed-gold", "--pairs", pairs)
    assert out.returncode == 2 and b"out of range" in out.stderr
    pred.write_text("0-0\n")
    out = run_cli("aer", "--gold", gold, "--pred", pred, "--one-indexed-gold")
    assert out.returncode == 2 and b"has 2 lines but" in out.stderr
