"""A user's corpus from files: the config forms, both layouts with and without gzip, and every bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from tests.corpus_files import synthetic_pairs, write_tsv, write_two_files
from training.config import DataConfig
from training.corpus_config import CorpusFiles
from training.downloads import CorpusError
from training.sources import iter_pairs, local_path, read_split, split_paths
from translator.config import ConfigError, from_dict

PAIRS = synthetic_pairs(40)


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("layout", ["tsv", "two files"])
def test_both_layouts_with_and_without_gzip_read_the_same_pairs(tmp_path: Path, layout: str, gz: bool) -> None:
    if layout == "tsv":
        train: str | dict = str(write_tsv(tmp_path / "train.tsv.gz", PAIRS, gz))  # gzip told by content, not name
    else:
        train = write_two_files(tmp_path, "train", PAIRS, gz)
    cfg = from_dict(DataConfig, {"src_lang": "pt", "tgt_lang": "es", "train": train, "valid": train})
    assert not cfg.multi30k and isinstance(cfg.train, str if layout == "tsv" else CorpusFiles)
    assert read_split(cfg, "train") == PAIRS
    assert list(iter_pairs(split_paths(cfg, "valid"), limit=3)) == PAIRS[:3]
    assert split_paths(cfg, "test") is None


def test_multi30k_paths_by_default() -> None:
    cfg = DataConfig(src_lang="en", tgt_lang="fr", data_dir="d")
    assert split_paths(cfg, "valid") == (Path("d/val.en"), Path("d/val.fr"))
    assert split_paths(cfg, "test") == (Path("d/test_2016_flickr.en"), Path("d/test_2016_flickr.fr"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"train": "t.tsv"}, "data.valid is required"),
        ({"valid": "v.tsv"}, "need data.train"),
        ({"src_lang": "pt"}, "Multi30k has the languages"),
        ({"train": "t.tsv", "valid": "v.tsv", "src_lang": "EN!"}, "not a BCP 47 language code"),
        ({"train": "https://example.org/t.tsv", "valid": "v.tsv"}, "#sha256="),
        ({"train": {"src": "a"}, "valid": "v.tsv"}, "tgt"),
        ({"train": {"src": "a", "tgt": "b", "extra": "c"}, "valid": "v.tsv"}, "unknown config key"),
        ({"train": "t.tsv", "valid": "v.tsv", "max_length_ratio": 0.5}, "max_length_ratio"),
    ],
)
def test_bad_data_configs_are_errors(data: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        from_dict(DataConfig, {"src_lang": "en", "tgt_lang": "fr", **data})


def test_a_url_is_read_from_its_verified_download(tmp_path: Path) -> None:
    url = "https://example.org/corpora/train.tsv.gz?x=1#sha256=" + "ab" * 32
    assert local_path(url, tmp_path) == tmp_path / "downloads" / f"{'ab' * 8}-train.tsv.gz"
    assert local_path("plain/file.tsv", tmp_path) == Path("plain/file.tsv")


def _error(paths: tuple[Path, ...]) -> str:
    with pytest.raises(CorpusError) as err:
        list(iter_pairs(paths))
    return str(err.value)


def test_missing_file(tmp_path: Path) -> None:
    assert "missing corpus file" in _error((tmp_path / "absent.tsv",))


def test_tsv_line_without_exactly_one_tab(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv"
    path.write_text("a\tb\nno tab here\n", encoding="utf-8")
    assert f"{path}, line 2: expected source<TAB>target, found 0 tabs" in _error((path,))
    path.write_text("a\tb\tc\n", encoding="utf-8")
    assert "line 1" in _error((path,)) and "found 2 tabs" in _error((path,))


def test_not_utf8_names_file_and_line(tmp_path: Path) -> None:
    src, tgt = tmp_path / "a.src", tmp_path / "a.tgt"
    src.write_bytes(b"fine\n\xff\xfe broken\n")
    tgt.write_text("fine\nfine\n", encoding="utf-8")
    assert f"{src}, line 2: not valid UTF-8" in _error((src, tgt))


def test_unreadable_gzip(tmp_path: Path) -> None:
    path = tmp_path / "t.tsv.gz"
    whole = gzip.compress("".join(f"{s}\t{t}\n" for s, t in PAIRS).encode())
    path.write_bytes(whole[: len(whole) // 2])  # truncated
    assert "not a readable gzip file" in _error((path,))


@pytest.mark.parametrize(("src_lines", "tgt_lines"), [(3, 2), (2, 3)])
def test_mismatched_line_counts_name_both_files_and_counts(tmp_path: Path, src_lines: int, tgt_lines: int) -> None:
    src, tgt = tmp_path / "a.src", tmp_path / "a.tgt"
    src.write_text("x\n" * src_lines, encoding="utf-8")
    tgt.write_text("y\n" * tgt_lines, encoding="utf-8")
    assert f"{src} has {src_lines} lines, {tgt} has {tgt_lines}" in _error((src, tgt))
