"""Train the SentencePiece subword models on the training split.

A joint vocabulary gives one ``spm.model`` trained on source and target text together; separate
vocabularies give ``spm.src.model`` and ``spm.tgt.model``. Ids are fixed: pad=0, unk=1, bos=2, eos=3.
Training is single-threaded so that repeated runs give byte-identical models, and it is skipped when
the models exist and ``spm.stamp.json`` records the same settings and training text.
"""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sentencepiece as spm

from training.config import DataConfig
from training.corpus import CorpusError, load_pairs
from translator.files import atomic_write_bytes
from translator.special import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from translator.tokenizer import JOINT_MODEL, SRC_MODEL, TGT_MODEL

STAMP = "spm.stamp.json"


class VocabError(ValueError):
    """SentencePiece could not be trained with the requested settings."""


def _train_model(sentences: Sequence[str], cfg: DataConfig) -> bytes:
    """Train one SentencePiece model on ``sentences``; returns the serialized model."""
    writer = io.BytesIO()
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=iter(sentences),
            model_writer=writer,
            vocab_size=cfg.vocab_size,
            hard_vocab_limit=False,  # a tiny corpus may support fewer pieces than asked for
            model_type=cfg.spm_model_type,
            character_coverage=1.0,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            num_threads=1,  # deterministic: repeated runs give identical models
            minloglevel=2,
        )
    except RuntimeError as err:
        raise VocabError(f"SentencePiece training failed (vocab_size={cfg.vocab_size}): {err}") from None
    return writer.getvalue()


def _settings(cfg: DataConfig, pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """What the models depend on: the settings and a hash of the training text."""
    digest = hashlib.sha256()
    for src, tgt in pairs:
        digest.update(f"{src}\t{tgt}\n".encode())
    return {
        "src_lang": cfg.src_lang,
        "tgt_lang": cfg.tgt_lang,
        "vocab_size": cfg.vocab_size,
        "joint_vocab": cfg.joint_vocab,
        "model_type": cfg.spm_model_type,
        "max_train_pairs": cfg.max_train_pairs,
        "text_sha256": digest.hexdigest(),
        "sentencepiece": spm.__version__,
    }


def _read_stamp(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def train_spm(cfg: DataConfig, data_dir: Path, out_dir: Path) -> list[Path]:
    """Train the subword model(s) on the training split (first ``cfg.max_train_pairs`` pairs).

    Returns ``[out_dir/spm.model]`` for a joint vocabulary, else ``[out_dir/spm.src.model,
    out_dir/spm.tgt.model]``. Model files of the other layout are removed so that a Tokenizer loading
    ``out_dir`` is never ambiguous.
    """
    pairs = load_pairs(data_dir, "train", cfg.src_lang, cfg.tgt_lang, limit=cfg.max_train_pairs)
    if not pairs:
        raise CorpusError(f"no training pairs in {data_dir} to train SentencePiece on")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [JOINT_MODEL] if cfg.joint_vocab else [SRC_MODEL, TGT_MODEL]
    paths = [out_dir / name for name in names]
    settings = _settings(cfg, pairs)
    if all(p.is_file() for p in paths) and _read_stamp(out_dir / STAMP) == settings:
        return paths
    (out_dir / STAMP).unlink(missing_ok=True)
    for stale in {JOINT_MODEL, SRC_MODEL, TGT_MODEL} - set(names):
        (out_dir / stale).unlink(missing_ok=True)
    src_text = [s for s, _ in pairs if s]
    tgt_text = [t for _, t in pairs if t]
    corpora = [src_text + tgt_text] if cfg.joint_vocab else [src_text, tgt_text]
    for path, sentences in zip(paths, corpora, strict=True):
        atomic_write_bytes(path, _train_model(sentences, cfg))
    atomic_write_bytes(out_dir / STAMP, json.dumps(settings, indent=2).encode())
    return paths
