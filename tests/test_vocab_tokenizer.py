"""SentencePiece training (training/vocab.py) and the Tokenizer that loads its models."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from training.config import DataConfig
from training.vocab import STAMP, VocabError, train_spm
from translator.tokenizer import BOS_ID, EOS_ID, PAD_ID, UNK_ID, Tokenizer, TokenizerError

DE = ["ein", "eine", "zwei", "Hund", "Katze", "Mann", "Frau", "Kind", "läuft", "spielt", "sitzt", "schläft"]
DE += ["im", "auf", "dem", "Park", "Straße", "Ball", "Wasser", "grünen"]
EN = ["a", "an", "two", "dog", "cat", "man", "woman", "child", "runs", "plays", "sits", "sleeps"]
EN += ["in", "on", "the", "park", "street", "ball", "water", "green"]


def write_corpus(data_dir: Path, n: int = 120, seed: int = 0) -> list[tuple[str, str]]:
    """Write ``n`` synthetic train pairs (train.de / train.en) and return them."""
    rng = random.Random(seed)
    pairs = []
    for _ in range(n):
        k = rng.randint(3, 10)
        pairs.append((" ".join(rng.choices(DE, k=k)) + ".", " ".join(rng.choices(EN, k=k)) + "."))
    data_dir.mkdir(parents=True, exist_ok=True)
    for side, lang in enumerate(("de", "en")):
        (data_dir / f"train.{lang}").write_text("".join(p[side] + "\n" for p in pairs), encoding="utf-8")
    return pairs


def small_cfg(**overrides: object) -> DataConfig:
    settings: dict[str, object] = {"src_lang": "de", "tgt_lang": "en", "vocab_size": 80, **overrides}
    return DataConfig(**settings)  # type: ignore[arg-type]


def train_files(data_dir: Path) -> tuple[Path, Path]:
    """The two training files ``write_corpus`` writes."""
    return data_dir / "train.de", data_dir / "train.en"


@pytest.fixture
def corpus_dir(tmp_path: Path) -> Path:
    write_corpus(tmp_path / "data")
    return tmp_path / "data"


def test_joint_model_ids_and_round_trip(corpus_dir: Path, tmp_path: Path) -> None:
    paths = train_spm(small_cfg(), train_files(corpus_dir), tmp_path / "spm")
    assert paths == [tmp_path / "spm" / "spm.model"]
    tok = Tokenizer.load(tmp_path / "spm")
    assert tok.joint and tok.src_vocab_size == tok.tgt_vocab_size and tok.files() == paths
    assert tok.target_pieces([PAD_ID, UNK_ID, BOS_ID, EOS_ID]) == ["<pad>", "<unk>", "<s>", "</s>"]
    for text in ("zwei Hund spielt im Park.", "a woman sleeps on the green street."):
        ids = tok.encode_target(text)
        assert ids and not {PAD_ID, BOS_ID, EOS_ID} & set(ids)
        assert tok.decode_target(ids) == text
        assert tok.decode_target([*ids, EOS_ID, *ids]) == text  # everything after EOS is ignored
        src_ids, pieces = tok.encode_source(text)
        assert len(src_ids) == len(pieces) and "".join(pieces).replace("▁", " ").strip() == text


def test_separate_models_replace_joint_one(corpus_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "spm"
    train_spm(small_cfg(), train_files(corpus_dir), out)
    paths = train_spm(small_cfg(joint_vocab=False), train_files(corpus_dir), out)
    assert paths == [out / "spm.src.model", out / "spm.tgt.model"]
    assert not (out / "spm.model").exists()
    tok = Tokenizer.load(out)
    assert not tok.joint and tok.files() == paths
    assert tok.encode_source("Hund")[0][0] != UNK_ID and tok.encode_target("dog")[0] != UNK_ID
    assert tok.encode_target("Hund") != tok.encode_source("Hund")[0]  # two different vocabularies


def test_training_is_deterministic_and_skipped_when_unchanged(corpus_dir: Path, tmp_path: Path) -> None:
    first = train_spm(small_cfg(), train_files(corpus_dir), tmp_path / "a")[0]
    second = train_spm(small_cfg(), train_files(corpus_dir), tmp_path / "b")[0]
    assert first.read_bytes() == second.read_bytes()
    inode = first.stat().st_ino
    train_spm(small_cfg(), train_files(corpus_dir), tmp_path / "a")
    assert first.stat().st_ino == inode  # not rewritten: a retrain replaces the file
    train_spm(small_cfg(vocab_size=60), train_files(corpus_dir), tmp_path / "a")
    assert first.stat().st_ino != inode
    assert json.loads((tmp_path / "a" / STAMP).read_text())["vocab_size"] == 60


def test_only_the_first_max_train_pairs_are_used(corpus_dir: Path, tmp_path: Path) -> None:
    with open(corpus_dir / "train.de", "a", encoding="utf-8") as de, open(corpus_dir / "train.en", "a") as en:
        de.write("Жжж Щщщ.\n")
        en.write("Жжж Щщщ.\n")
    limited = Tokenizer.load(
        train_spm(small_cfg(max_train_pairs=120), train_files(corpus_dir), tmp_path / "l")[0].parent
    )
    full = Tokenizer.load(train_spm(small_cfg(), train_files(corpus_dir), tmp_path / "f")[0].parent)
    assert UNK_ID in limited.encode_target("Щ")
    assert UNK_ID not in full.encode_target("Щ")


def test_vocab_size_larger_than_corpus_supports_is_fine(corpus_dir: Path, tmp_path: Path) -> None:
    tok = Tokenizer.load(train_spm(small_cfg(vocab_size=8000), train_files(corpus_dir), tmp_path / "spm")[0].parent)
    assert 4 < tok.tgt_vocab_size <= 8000


def test_too_small_vocab_is_a_clear_error(corpus_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(VocabError, match="vocab_size=16"):
        train_spm(small_cfg(vocab_size=16), train_files(corpus_dir), tmp_path / "spm")


def test_load_errors(corpus_dir: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(TokenizerError, match="no SentencePiece model"):
        Tokenizer.load(empty)
    half = tmp_path / "half"
    train_spm(small_cfg(joint_vocab=False), train_files(corpus_dir), half)
    (half / "spm.tgt.model").unlink()
    with pytest.raises(TokenizerError, match="spm.tgt.model is missing"):
        Tokenizer.load(half)
    (empty / "spm.model").write_bytes(b"not a model")
    with pytest.raises(TokenizerError, match="not a valid SentencePiece model"):
        Tokenizer.load(empty)


def test_decode_rejects_ids_outside_the_vocabulary(corpus_dir: Path, tmp_path: Path) -> None:
    tok = Tokenizer.load(train_spm(small_cfg(), train_files(corpus_dir), tmp_path / "spm")[0].parent)
    with pytest.raises(TokenizerError, match="outside the vocabulary"):
        tok.decode_target([tok.tgt_vocab_size])
