"""The translator command line: translate, evaluate (BLEU equals sacreBLEU), heatmap, bad input."""

import json
import re
import subprocess
import sys

import pytest
import sacrebleu
from tiny_package import build_tiny_package

from translator.alignment.aligner import AlignMethod, document_links_both
from translator.alignment.links import argmax_links, mutual_links
from translator.alignment.words import merge_alignment
from translator.document import translate_documents
from translator.files import read_lines
from translator.markup import TAG_LINK_RULE, extract_html, marked_translation
from translator.translate import Translator


def run_cli(*args, stdin=""):
    return subprocess.run(
        [sys.executable, "-m", "translator", *map(str, args)], input=stdin, capture_output=True, text=True
    )


def test_translate_reads_stdin_and_prints_one_line_each(trained_run):
    out = run_cli("translate", "--model", trained_run.package, "--beam-size", "2", stdin="Ein Hund.\n\nZwei Männer.\n")
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 3


def test_evaluate_bleu_equals_sacrebleu(trained_run, tmp_path):
    data = trained_run.workdir / "data" / "multi30k"
    src, ref = tmp_path / "src.de", tmp_path / "ref.en"
    src.write_text("\n".join(read_lines(data / "val.de")[:40]) + "\n")
    ref.write_text("\n".join(read_lines(data / "val.en")[:40]) + "\n")
    hyp = tmp_path / "hyp.en"
    out = run_cli("evaluate", "--model", trained_run.package, "--src", src, "--ref", ref, "--hyp-out", hyp, "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    expected_bleu = sacrebleu.corpus_bleu(read_lines(hyp), [read_lines(ref)])
    expected_chrf = sacrebleu.corpus_chrf(read_lines(hyp), [read_lines(ref)])
    assert report["bleu"] == pytest.approx(expected_bleu.score, abs=0.005)
    assert report["chrf"] == pytest.approx(expected_chrf.score, abs=0.005)
    assert report["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a")


def test_heatmap_writes_a_png(trained_run, tmp_path):
    png = tmp_path / "a.png"
    out = run_cli("heatmap", "--model", trained_run.package, "--text", "Ein Mann schläft.", "--out", png)
    assert out.returncode == 0, out.stderr
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize(
    "args, message",
    [
        (["translate", "--model", "/no/such/package"], "not found"),
        (["evaluate", "--model", "PKG", "--src", "/no/such.de", "--ref", "/no/such.en"], "file not found"),
        (["evaluate", "--model", "PKG", "--src", "SRC", "--ref", "SHORT"], "lines"),
        (["evaluate", "--model", "PKG"], "--split"),
        (["heatmap", "--model", "PKG", "--text", "  ", "--out", "x.png"], "empty"),
        (["translate", "--model", "PKG", "--beam-size", "0"], "beam size"),
    ],
)
def test_bad_input_is_a_clear_error(trained_run, tmp_path, args, message):
    src, short = tmp_path / "src.de", tmp_path / "short.en"
    src.write_text("a\nb\nc\n")
    short.write_text("a\n")
    subst = {"PKG": trained_run.package, "SRC": src, "SHORT": short}
    out = run_cli(*[subst.get(a, a) for a in args])
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr


def test_undecodable_bytes_and_empty_files_are_one_error_line(trained_run, tmp_path):
    """Bytes that are not UTF-8 on stdin or in --text (Python carries those as lone surrogates), and
    evaluating empty files: one error line and status 2, never a traceback."""
    package = str(trained_run.package)
    cases = [
        ([b"translate", b"--model", package.encode()], b"Ein \xff\xfe Hund.\n", "standard input is not UTF-8"),
        ([b"heatmap", b"--model", package.encode(), b"--text", b"a\xffb", b"--out", b"x.png"], b"", "not valid UTF-8"),
    ]
    empty = tmp_path / "empty"
    empty.write_text("")
    cases.append(
        ([b"evaluate", b"--model", package.encode(), b"--src", bytes(empty), b"--ref", bytes(empty)], b"", "empty")
    )
    for args, stdin, message in cases:
        out = subprocess.run(
            [sys.executable, "-m", "translator", *args], input=stdin, capture_output=True, cwd=tmp_path
        )
        err = out.stderr.decode()
        assert out.returncode == 2 and err.count("\n") == 1 and message in err, err
        assert out.stdout == b""


def test_translate_splits_a_paragraph_line_and_keeps_one_line_each(trained_run):
    out = run_cli(
        "translate", "--model", trained_run.package, "--beam-size", "2", stdin="Ein Hund. Zwei Männer.\nEin Mann.\n"
    )
    assert out.returncode == 0, out.stderr
    assert len(out.stdout.splitlines()) == 2
    listed = run_cli("translate", "--model", trained_run.package, "--json", stdin="Ein Hund. Zwei Männer.\n")
    assert len(json.loads(listed.stdout)["sentences"]) == 2
    whole = run_cli(
        "translate", "--model", trained_run.package, "--json", "--no-split", stdin="Ein Hund. Zwei Männer.\n"
    )
    assert len(json.loads(whole.stdout)["sentences"]) == 1


def test_translate_with_a_glossary_file_uses_its_terms(trained_run, tmp_path):
    terms = tmp_path / "terms.tsv"
    terms.write_text("Hund\tGlossarterm\n", encoding="utf-8")
    out = run_cli("translate", "--model", trained_run.package, "--glossary", terms, stdin="Ein Hund.\nEin Mann.\n")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2 and "Glossarterm" in lines[0] and "Glossarterm" not in lines[1]
    forced = run_cli("translate", "--model", trained_run.package, "--glossary", terms, "--glossary-method", "constrain",
                     stdin="Ein Hund.\nEin Mann.\n")  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert re.search(r"(?<!\w)Glossarterm(?!\w)", forced.stdout.splitlines()[0]), forced.stdout
    terms.write_text("Hund\tdog\thound\n", encoding="utf-8")
    bad = run_cli("translate", "--model", trained_run.package, "--glossary", terms, stdin="Ein Hund.\n")
    assert bad.returncode == 2 and bad.stderr.startswith("error: ") and "line 1" in bad.stderr and not bad.stdout


def test_translate_format_html_keeps_each_lines_tags(trained_run):
    fragments = "<p>Ein <b>Hund</b>.</p><p>Zwei Männer.</p>\nEin <i>Mann</i>.<br>Ein Hund.\n"
    out = run_cli("translate", "--model", trained_run.package, "--format", "html", stdin=fragments)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("<p>") and lines[0].count("<p>") == 2 and "<b>" in lines[0] and "</b>" in lines[0]
    assert "<i>" in lines[1] and "<br>" in lines[1]


def test_translate_format_xml_names_blocks_and_refuses_a_malformed_line_before_any_output(trained_run):
    fragments = '<seg>Ein <g id="1">Hund</g>.</seg><seg>Zwei Männer<x id="2"/>.</seg>\n'
    out = run_cli(
        "translate", "--model", trained_run.package, "--format", "xml", "--splitting-tags", "seg", stdin=fragments
    )
    assert out.returncode == 0, out.stderr
    (line,) = out.stdout.splitlines()
    assert line.startswith("<seg>") and line.count("<seg>") == 2 and '<x id="2"/>' in line and '<g id="1">' in line
    bad = run_cli("translate", "--model", trained_run.package, "--format", "xml", stdin=fragments + "<b>Ein Hund\n")
    assert bad.returncode == 2 and not bad.stdout
    assert bad.stderr.startswith("error: line 2: the XML cannot be read") and len(bad.stderr.splitlines()) == 1


@pytest.mark.parametrize("rule", ["argmax", "mutual"])
def test_translate_json_reads_word_links_by_the_link_rule(trained_run, rule):
    out = run_cli(
        "translate", "--model", trained_run.package, "--json", "--link-rule", rule, stdin="Ein Hund. Zwei Männer.\n"
    )
    assert out.returncode == 0, out.stderr
    for sentence in json.loads(out.stdout)["sentences"]:
        words = merge_alignment(sentence["source_tokens"], sentence["target_tokens"], sentence["alignment"])
        expected = mutual_links(words["alignment"]) if rule == "mutual" else argmax_links(words["alignment"])
        assert {tuple(link) for link in sentence["word_links"]} == expected


def test_translate_n_best_lists_every_sentence_best_first(trained_run):
    out = run_cli(
        "translate",
        "--model",
        trained_run.package,
        "--beam-size",
        "3",
        "--n-best",
        "3",
        stdin="Ein Hund. Ein Mann.\nKinder.\n",
    )
    assert out.returncode == 0, out.stderr
    rows = [line.split(" ||| ") for line in out.stdout.splitlines()]
    assert [(line, sentence) for line, sentence, _, _ in rows] == [("0", "0")] * 3 + [("0", "1")] * 3 + [("1", "0")] * 3
    for first in (0, 3, 6):
        scores = [float(row[3]) for row in rows[first : first + 3]]
        assert scores == sorted(scores, reverse=True)
    single = run_cli("translate", "--model", trained_run.package, "--beam-size", "3", stdin="Kinder.\n")
    assert rows[6][2] == single.stdout.rstrip("\n")  # the first alternative is the 1-best
    too_many = run_cli(
        "translate", "--model", trained_run.package, "--beam-size", "2", "--n-best", "3", stdin="Hund.\n"
    )
    assert too_many.returncode == 2 and too_many.stderr.startswith("error: --n-best")


def _stderr_on_a_terminal(args: list[str], stdin: str) -> tuple[subprocess.CompletedProcess, bytes]:
    """Run ``python -m translator ARGS`` with stderr on a pseudo-terminal of 100 x 24 (a fresh one has no
    size, and tqdm draws nothing that wide); returns the result and what reached the terminal."""
    import fcntl
    import os
    import pty
    import struct
    import termios
    import threading

    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    drawn = bytearray()

    def read() -> None:  # drain the terminal while the command runs, until EIO (all writers closed)
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                return
            if not chunk:
                return
            drawn.extend(chunk)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        command = [sys.executable, "-m", "translator", *args]
        proc = subprocess.run(
            command, input=stdin, capture_output=False, stdout=subprocess.PIPE, stderr=follower, text=True
        )
    finally:
        os.close(follower)
        reader.join(30)
        os.close(leader)
    return proc, bytes(drawn)


def test_progress_bar_only_on_a_terminal_and_long_input(trained_run):
    """tqdm draws on stderr when it is a terminal (a pseudo-terminal here) and the input has > 300 lines."""
    args = ["translate", "--model", str(trained_run.package), "--beam-size", "1"]
    lines = "Ein Hund.\n" * 301
    proc, drawn = _stderr_on_a_terminal(args, lines)
    assert proc.returncode == 0 and len(proc.stdout.splitlines()) == 301
    assert b"301/301" in drawn
    short, drawn = _stderr_on_a_terminal(args, "Ein Hund.\n" * 300)
    assert short.returncode == 0 and b"/300" not in drawn
    piped = run_cli(*args, stdin=lines)
    assert piped.returncode == 0 and "301/301" not in piped.stderr


def test_translate_html_with_the_reverse_model_places_tags_by_both_directions(tmp_path):
    forward = build_tiny_package(tmp_path / "de-en", tmp_path / "spm")
    reverse = build_tiny_package(tmp_path / "en-de", tmp_path / "spm-en", pair=("en", "de"), seed=2)
    text = 'Zwei <b>Hunde</b> spielen <a href="/s">im Schnee</a>. Ein <i>Mann</i> lacht.'
    args = ["translate", "--model", forward, "--format", "html", "--beam-size", "2"]
    out = run_cli(*args, "--reverse-model", reverse, stdin=text + "\n")
    assert out.returncode == 0, out.stderr
    translator, opposite = Translator.load(forward), Translator.load(reverse)
    marked = extract_html(text)
    document = translate_documents(translator, [marked.text], beam_size=2)[0]
    links = document_links_both(document, translator, opposite, AlignMethod(TAG_LINK_RULE, symmetrise="mean"))
    assert out.stdout.splitlines() == [marked_translation(document, marked, TAG_LINK_RULE, None, links)[0]]
    plain = run_cli("translate", "--model", forward, "--reverse-model", reverse, stdin="Ein Hund.\n")
    same_way = run_cli(*args, "--reverse-model", forward, stdin=text + "\n")
    for bad, problem in ((plain, "--format html or xml"), (same_way, "must translate en->de")):
        assert bad.returncode == 2 and not bad.stdout and problem in bad.stderr
        assert bad.stderr.startswith("error: ") and len(bad.stderr.splitlines()) == 1
