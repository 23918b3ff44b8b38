"""Multi30k task 2 as monolingual text: task-1 training sentences, val/test sentences of either language,
repeats and empty lines dropped and counted; bad mirrors are one error line with nothing written."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import pytest

from tests.conftest import require_mirror
from training import multi30k_task2
from training.multi30k_task2 import main, new_captions


def test_each_rule_drops_what_it_names_and_keeps_order() -> None:
    captions = ["A dog runs.", "", "Old caption.", "A dog runs.", "Held out.", "New one.", "  New one.  "]
    kept, counts = new_captions(captions, task1_train={"Old caption."}, held_out={"Held out."})
    assert kept == ["A dog runs.", "New one."]
    assert counts == {"read": 7, "empty": 1, "task1_train": 1, "val_or_test": 1, "repeated": 2, "kept": 2}


def _fake_task2(folder: Path, monkeypatch: pytest.MonkeyPatch, mirror_lines: list[str]) -> dict[str, str]:
    """Five gzip caption files (English) in ``folder``, their checksums recorded in place of the real ones."""
    folder.mkdir()
    checksums = {}
    for k in range(1, 6):
        data = gzip.compress("".join(f"{line}\n" for line in mirror_lines[k - 1 :: 5]).encode("utf-8"))
        (folder / f"train.{k}.en.gz").write_bytes(data)
        checksums[f"train.{k}.en.gz"] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(multi30k_task2, "CHECKSUMS", checksums)
    monkeypatch.setenv(multi30k_task2.TASK2_MIRROR_ENV, str(folder))
    return checksums


def test_the_cli_writes_the_new_captions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # noqa: ANN001
    mirror = require_mirror()
    monkeypatch.setenv("MULTI30K_MIRROR", str(mirror))
    val_sentence = gzip.decompress((mirror / "val.de.gz").read_bytes()).decode("utf-8").splitlines()[0]
    train_sentence = gzip.decompress((mirror / "train.en.gz").read_bytes()).decode("utf-8").splitlines()[0]
    lines = ["Fresh caption one.", val_sentence, train_sentence, "Fresh caption two.", "Fresh caption one."]
    _fake_task2(tmp_path / "task2", monkeypatch, lines)
    out = tmp_path / "mono.en"
    args = [
        "--lang",
        "en",
        "--out",
        str(out),
        "--data-dir",
        str(tmp_path / "m30k"),
        "--task2-dir",
        str(tmp_path / "t2"),
    ]
    assert main(args) == 0
    assert out.read_text(encoding="utf-8").splitlines() == ["Fresh caption one.", "Fresh caption two."]
    assert "task1_train 1, val_or_test 1, repeated 1, kept 2" in capsys.readouterr().out


def test_a_corrupt_task2_file_is_one_error_and_writes_nothing(tmp_path, monkeypatch, capsys) -> None:  # noqa: ANN001
    require_mirror()
    checksums = _fake_task2(tmp_path / "task2", monkeypatch, [f"c{k}" for k in range(5)])
    monkeypatch.setattr(multi30k_task2, "CHECKSUMS", {**checksums, "train.3.en.gz": "0" * 64})
    out = tmp_path / "mono.en"
    assert main(["--lang", "en", "--out", str(out), "--task2-dir", str(tmp_path / "t2")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "checksum mismatch" in err and "train.3.en.gz" in err
    assert not out.exists()
