"""A tiny random-weight model package for the serving and paragraph tests (built in seconds, no training)."""

from __future__ import annotations

import gzip
import random
from dataclasses import asdict
from pathlib import Path

import sentencepiece as spm
import torch

from translator.config import DecodeConfig, ModelConfig
from translator.model import Seq2Seq
from translator.package import load_package, save_package
from translator.special import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from translator.tokenizer import Tokenizer

REPO = Path(__file__).resolve().parents[1]
DATA_DIRS = [REPO / "data" / "multi30k", REPO.parent / "shared" / "data" / "multi30k"]
SENTENCES = 400
SAMPLE_SOURCES = [
    "Ein Mann fährt Fahrrad.",
    "Zwei Hunde spielen im Schnee.",
    "Eine Frau in einem roten Kleid liest ein Buch.",
    "Kinder spielen auf der Straße.",
    "Ein Junge springt ins Wasser.",
    "Die Leute stehen vor einem Gebäude und warten.",
]


def _synthetic(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    subjects = ["Ein Mann", "Eine Frau", "Ein Kind", "Zwei Hunde", "Die Leute", "A man", "A woman", "Two dogs"]
    verbs = ["spielt", "läuft", "sitzt", "liest", "plays", "runs", "sits", "reads"]
    places = ["im Park", "auf der Straße", "im Schnee", "in the park", "on the street", "in the snow"]
    return [f"{rng.choice(subjects)} {rng.choice(verbs)} {rng.choice(places)}." for _ in range(n)]


def training_sentences(n: int = SENTENCES) -> list[str]:
    """Real Multi30k lines (de and en) when a local copy exists, else synthetic ones."""
    for folder in DATA_DIRS:
        de, en = folder / "train.de.gz", folder / "train.en.gz"
        if de.is_file() and en.is_file():
            lines: list[str] = []
            for path in (de, en):
                with gzip.open(path, "rt", encoding="utf-8") as handle:
                    lines += [next(handle).strip() for _ in range(n // 2)]
            return lines + SAMPLE_SOURCES
    return _synthetic(n, seed=0) + SAMPLE_SOURCES


def build_tiny_package(
    out_dir: Path, work_dir: Path, vocab_size: int = 160, pair: tuple[str, str] = ("de", "en"), seed: int = 0
) -> Path:
    """Train a small joint SentencePiece model and save a random-weight Seq2Seq (``seed``) for the language
    ``pair`` as a package."""
    work_dir.mkdir(parents=True, exist_ok=True)
    corpus = work_dir / "corpus.txt"
    corpus.write_text("\n".join(training_sentences()) + "\n", encoding="utf-8")
    spm.SentencePieceTrainer.train(
        input=str(corpus),
        model_prefix=str(work_dir / "spm"),
        vocab_size=vocab_size,
        model_type="unigram",
        pad_id=PAD_ID,
        unk_id=UNK_ID,
        bos_id=BOS_ID,
        eos_id=EOS_ID,
        hard_vocab_limit=False,
        character_coverage=1.0,
        num_threads=1,
        minloglevel=2,
    )
    tokenizer = Tokenizer.load(work_dir)
    torch.manual_seed(seed)
    model_cfg = ModelConfig(
        src_vocab_size=tokenizer.src_vocab_size,
        tgt_vocab_size=tokenizer.tgt_vocab_size,
        emb_dim=32,
        hidden_size=64,
        enc_layers=1,
        dec_layers=1,
        dropout=0.0,
        emb_dropout=0.0,
    )
    model = Seq2Seq(model_cfg).eval()
    config = {"name": "test", "model": asdict(model_cfg), "decode": asdict(DecodeConfig(beam_size=3))}
    name = "test" if pair == ("de", "en") else f"test-{pair[0]}-{pair[1]}"
    config["name"] = name
    meta = {"name": name, "src_lang": pair[0], "tgt_lang": pair[1], "scores": {"bleu": 0.0}}
    return save_package(out_dir, model, tokenizer, config, meta)


def reseeded_copy(package: Path, out_dir: Path, seed: int) -> Path:
    """A package with the tokenizer, config and metadata of ``package`` and new random weights (``seed``):
    an ensemble member for it (SentencePiece training is not byte-identical from run to run)."""
    loaded = load_package(package)
    torch.manual_seed(seed)
    model = Seq2Seq(loaded.model_cfg).eval()
    return save_package(out_dir, model, loaded.tokenizer, loaded.config, dict(loaded.metadata))
