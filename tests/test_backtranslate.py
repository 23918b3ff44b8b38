"""Back-translation of a monolingual file: synthetic pairs as TSV, resumed after a kill with no line
duplicated or missing, and bad input refused with nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from tiny_package import build_tiny_package, reseeded_copy

from training.backtranslate import main
from translator.translate import Translator

LINES = [f"Ein Hund läuft {k} mal." for k in range(23)] + ["", "Zwei\tKatzen."]


@pytest.fixture(scope="module")
def package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bt-model")
    return build_tiny_package(root / "package", root / "spm")


@pytest.fixture()
def mono(tmp_path: Path) -> Path:
    path = tmp_path / "mono.de"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def _run(package: Path, mono: Path, out: Path, *extra: str) -> int:
    return main(["--model", str(package), "--input", str(mono), "--out", str(out), "--batch-size", "4", *extra])


def test_every_line_becomes_one_pair_of_translation_and_line(package: Path, mono: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt.tsv"
    assert _run(package, mono, out) == 0
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    assert [target for _, target in rows] == [line.replace("\t", " ") for line in LINES]
    expected = Translator.load(package).translate([line.replace("\t", " ") for line in LINES])
    assert [source for source, _ in rows] == [t.text for t in expected]


def test_a_killed_run_resumes_without_duplicates_or_gaps(package: Path, mono: Path, tmp_path: Path) -> None:
    whole, resumed = tmp_path / "whole.tsv", tmp_path / "resumed.tsv"
    assert _run(package, mono, whole) == 0
    written = whole.read_bytes()
    cut = written.index(b"\n", len(written) // 2) + 8  # 13 complete lines and part of the next, as a kill leaves
    resumed.write_bytes(written[:cut])
    assert _run(package, mono, resumed) == 0
    assert resumed.read_bytes() == written
    assert _run(package, mono, resumed) == 0  # finished: nothing more to do
    assert resumed.read_bytes() == written


@pytest.mark.parametrize(
    ("content", "message"),
    [(None, "input not found"), (b"", "is empty"), (b"gut\n\xff\xfe\n", "not UTF-8")],
)
def test_bad_input_is_one_error_line_and_writes_nothing(package, tmp_path, capsys, content, message) -> None:  # noqa: ANN001
    mono, out = tmp_path / "mono.de", tmp_path / "bt.tsv"
    if content is not None:
        mono.write_bytes(content)
    assert _run(package, mono, out) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_an_output_of_another_input_is_refused_untouched(package: Path, mono: Path, tmp_path: Path, capsys) -> None:  # noqa: ANN001
    out = tmp_path / "bt.tsv"
    out.write_text("x\tsomething else\npartial", encoding="utf-8")
    before = out.read_bytes()
    assert _run(package, mono, out) == 2
    assert "line 1 is not a translation" in capsys.readouterr().err
    assert out.read_bytes() == before


def test_sampled_translations_are_repeatable_and_differ_from_beam_search(package: Path, mono: Path, tmp_path) -> None:  # noqa: ANN001
    beam, first, again = tmp_path / "beam.tsv", tmp_path / "a.tsv", tmp_path / "b.tsv"
    assert _run(package, mono, beam) == 0
    assert (
        _run(package, mono, first, "--sample", "--seed", "7") == 0
        and _run(package, mono, again, "--sample", "--seed", "7") == 0
    )
    assert first.read_bytes() == again.read_bytes()
    sampled = [line.split("\t") for line in first.read_text(encoding="utf-8").splitlines()]
    assert [target for _, target in sampled] == [line.replace("\t", " ") for line in LINES]
    assert first.read_bytes() != beam.read_bytes()  # the random-weight model's distribution is far from peaked


def test_a_sampled_run_killed_between_batches_resumes_to_the_same_file(package: Path, mono: Path, tmp_path) -> None:  # noqa: ANN001
    whole, resumed = tmp_path / "whole.tsv", tmp_path / "resumed.tsv"
    assert _run(package, mono, whole, "--sample") == 0
    lines = whole.read_bytes().splitlines(keepends=True)
    resumed.write_bytes(b"".join(lines[:12]))  # three batches of 4, as a kill after the third write leaves
    assert _run(package, mono, resumed, "--sample") == 0
    assert resumed.read_bytes() == whole.read_bytes()


def test_forward_writes_the_input_first_for_distillation_and_resumes(package: Path, mono: Path, tmp_path) -> None:  # noqa: ANN001
    out = tmp_path / "kd.tsv"
    assert _run(package, mono, out, "--forward") == 0
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    assert [source for source, _ in rows] == [line.replace("\t", " ") for line in LINES]
    written = out.read_bytes()
    out.write_bytes(written[: written.index(b"\n", len(written) // 2) + 3])
    assert _run(package, mono, out, "--forward") == 0 and out.read_bytes() == written
    assert _run(package, mono, out) == 2  # the other layout's resume check refuses it


@pytest.mark.parametrize(("device", "message"), [("gpu", "device must be cpu, cuda or cuda:N"), ("cuda:99", "cuda:99")])
def test_a_device_this_machine_lacks_is_one_error_line(package, mono, tmp_path, capsys, device, message) -> None:  # noqa: ANN001
    out = tmp_path / "bt.tsv"
    assert _run(package, mono, out, "--device", device) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and message in err and err.count("\n") == 1
    assert not out.exists()


def test_quantize_decodes_with_those_weights(package: Path, mono: Path, tmp_path: Path) -> None:
    out = tmp_path / "bt.tsv"
    assert _run(package, mono, out, "--quantize", "int8") == 0
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    texts = [line.replace("\t", " ") for line in LINES]
    int8 = Translator.load(package, quantize="int8")  # int8 output depends on batch-mates: the same chunks of 4
    expected = [t.text for k in range(0, len(texts), 4) for t in int8.translate(texts[k : k + 4], batch_size=4)]
    assert [source for source, _ in rows] == expected
    assert expected != [t.text for t in Translator.load(package).translate(texts, batch_size=4)]  # not fp32's
    assert [target for _, target in rows] == texts


def test_several_models_decode_as_one_ensemble(package: Path, mono: Path, tmp_path: Path) -> None:
    """Distillation from an ensemble teacher: ``--model A B`` writes the ensemble's beam output."""
    other = reseeded_copy(package, tmp_path / "other", seed=1)
    out = tmp_path / "kd.tsv"
    assert main(["--model", str(package), str(other), "--input", str(mono), "--out", str(out), "--forward"]) == 0
    texts = [line.replace("\t", " ") for line in LINES]
    rows = [line.split("\t") for line in out.read_text(encoding="utf-8").splitlines()]
    ensemble = [t.text for t in Translator.load([package, other]).translate(texts)]
    assert [translation for _, translation in rows] == ensemble
    assert ensemble != [t.text for t in Translator.load(package).translate(texts)]  # not the first model alone
