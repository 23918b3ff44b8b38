"""Fetching, verifying and reading the corpus, against a fake mirror built in tmp_path."""

from __future__ import annotations

import functools
import gzip
import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from training import multi30k
from training.config import UPSTREAM_MIRROR, DataConfig
from training.downloads import CorpusError
from training.multi30k import fetch_split, prepare_corpus, resolve_mirror
from training.sources import iter_pairs

REAL_MIRROR = Path(__file__).resolve().parents[1].parent / "shared/data/multi30k"
LINES = {
    "de": ["Ein Hund läuft.", " Zwei Männer spielen Fußball. ", "Eine Frau liest ein Buch."],
    "en": ["A dog runs.", "Two men play soccer.", "A woman reads a book."],
}


def load(data: Path, split: str, limit: int | None = None) -> list[tuple[str, str]]:
    """The de-en pairs of a Multi30k split in ``data``."""
    return list(iter_pairs((Path(data) / f"{split}.de", Path(data) / f"{split}.en"), limit))


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A local mirror with every split in de and en, and CHECKSUMS recording its files."""
    folder = tmp_path / "mirror"
    folder.mkdir()
    checksums = {}
    for split in multi30k.SPLITS:
        for lang, lines in LINES.items():
            data = gzip.compress(("\n".join(lines) + "\n").encode("utf-8"))
            (folder / f"{split}.{lang}.gz").write_bytes(data)
            checksums[f"{split}.{lang}.gz"] = hashlib.sha256(data).hexdigest()
    monkeypatch.setattr(multi30k, "CHECKSUMS", checksums)
    return folder


@pytest.fixture
def http_mirror(mirror: Path) -> Iterator[str]:
    """The fake mirror served over http on a free local port."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(mirror))
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_fetch_split_writes_verified_text(mirror: Path, tmp_path: Path) -> None:
    path = fetch_split(str(mirror), "train", "de", tmp_path / "data")
    assert path == tmp_path / "data" / "train.de"
    assert path.read_text(encoding="utf-8").split("\n")[:-1] == LINES["de"]
    assert not [p for p in path.parent.iterdir() if p.name.endswith(".tmp")]


def test_fetch_split_over_http(http_mirror: str, tmp_path: Path) -> None:
    path = fetch_split(http_mirror, "val", "en", tmp_path / "data")
    assert path.read_text(encoding="utf-8").split("\n")[:-1] == LINES["en"]
    with pytest.raises(CorpusError, match="could not download"):
        fetch_split(http_mirror + "/nowhere", "val", "de", tmp_path / "data")


def test_fetch_split_skips_when_already_verified(mirror: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    fetch_split(str(mirror), "val", "de", data)
    (mirror / "val.de.gz").unlink()  # a second fetch must not need the mirror
    (data / "val.de").unlink()  # ... and restores the text from the kept, verified .gz
    assert fetch_split(str(mirror), "val", "de", data).read_text(encoding="utf-8").startswith(LINES["de"][0])


def test_wrong_checksum_names_file_hashes_and_mirror(mirror: Path, tmp_path: Path) -> None:
    multi30k.CHECKSUMS["train.en.gz"] = "0" * 64
    actual = hashlib.sha256((mirror / "train.en.gz").read_bytes()).hexdigest()
    with pytest.raises(CorpusError) as info:
        fetch_split(str(mirror), "train", "en", tmp_path / "data")
    for part in ("train.en.gz", "0" * 64, actual, str(mirror)):
        assert part in str(info.value)
    assert list((tmp_path / "data").iterdir()) == []


def test_corrupt_local_copy_is_fetched_again(mirror: Path, tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "val.en.gz").write_bytes(b"garbage")
    assert fetch_split(str(mirror), "val", "en", data).is_file()
    assert (data / "val.en.gz").read_bytes() == (mirror / "val.en.gz").read_bytes()


def test_missing_file_in_mirror(mirror: Path, tmp_path: Path) -> None:
    (mirror / "val.de.gz").unlink()
    with pytest.raises(CorpusError, match=r"val\.de\.gz not found \(mirror"):
        fetch_split(str(mirror), "val", "de", tmp_path / "data")


def test_unknown_file_has_no_checksum(mirror: Path, tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="no recorded checksum"):
        fetch_split(str(mirror), "test_2017_flickr", "de", tmp_path / "data")


def test_split_pairs_strips_aligns_and_limits(mirror: Path, tmp_path: Path) -> None:
    data = prepare_corpus(DataConfig(src_lang="de", tgt_lang="en", mirror=str(mirror), data_dir=str(tmp_path / "d")))
    pairs = load(data, "test_2016_flickr")
    assert pairs == [(s.strip(), t) for s, t in zip(LINES["de"], LINES["en"], strict=True)]
    assert load(data, "train", 2) == pairs[:2]


def test_split_pairs_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match=r"missing corpus file .*val\.de"):
        load(tmp_path, "val")


def test_split_pairs_mismatched_line_counts(tmp_path: Path) -> None:
    (tmp_path / "val.de").write_text("a\nb\nc\n", encoding="utf-8")
    (tmp_path / "val.en").write_text("a\nb\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="line counts differ"):
        load(tmp_path, "val")


def test_resolve_mirror_precedence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(multi30k.MIRROR_ENV, raising=False)
    assert resolve_mirror(DataConfig()) == UPSTREAM_MIRROR
    monkeypatch.setenv(multi30k.MIRROR_ENV, "/env/mirror")
    assert resolve_mirror(DataConfig()) == "/env/mirror"
    assert resolve_mirror(DataConfig(mirror="/cfg/mirror")) == "/cfg/mirror"


def test_cli_fetches_and_reports_errors_in_one_line(
    mirror: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "cli"
    assert multi30k.main(["--mirror", str(mirror), "--langs", "de", "en", "--data-dir", str(data)]) == 0
    texts = sorted(p.name for p in data.iterdir() if p.suffix != ".gz")
    assert texts == sorted(f"{split}.{lang}" for split in multi30k.SPLITS for lang in LINES)
    capsys.readouterr()
    assert multi30k.main(["--mirror", str(tmp_path / "absent"), "--data-dir", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not found (mirror" in err and "Traceback" not in err


@pytest.mark.skipif(not REAL_MIRROR.is_dir(), reason="no local Multi30k mirror")
def test_real_mirror_matches_recorded_checksums(tmp_path: Path) -> None:
    for lang in ("de", "en"):
        fetch_split(str(REAL_MIRROR), "val", lang, tmp_path)
    pairs = load(tmp_path, "val")
    assert pairs and all(src and tgt for src, tgt in pairs)
    for name, expected in multi30k.CHECKSUMS.items():
        assert multi30k.sha256_file(REAL_MIRROR / name) == expected, name
