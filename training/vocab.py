"""Train the SentencePiece subword models on the training split.

A joint vocabulary gives one ``spm.model`` trained on source and target text together; separate
vocabularies give ``spm.src.model`` and ``spm.tgt.model``. Ids are fixed: pad=0, unk=1, bos=2, eos=3.
The text is streamed from the files; SentencePiece keeps a random sample of at most
``data.spm_input_sentences`` sentences of it (``input_sentence_size`` with ``shuffle_input_sentence``), so
a corpus of millions of pairs does not have to fit in memory. Training is single-threaded with a fixed
sampling seed so that repeated runs give byte-identical models, and it is skipped when the models exist and
``spm.stamp.json`` records the same settings and input files (SHA-256).
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import sentencepiece as spm

from training.config import DataConfig
from training.corpus_config import SYNTHETIC_TAG
from training.downloads import CorpusError
from training.sources import describe, file_digests, train_pairs
from translator.files import atomic_write_bytes
from translator.special import BOS_ID, EOS_ID, PAD_ID, UNK_ID
from translator.tokenizer import JOINT_MODEL, SRC_MODEL, TGT_MODEL

STAMP = "spm.stamp.json"


class VocabError(ValueError):
    """SentencePiece could not be trained with the requested settings."""


SAMPLING_SEED = 1234


def _train_model(sentences: Iterator[str], cfg: DataConfig) -> bytes:
    """Train one SentencePiece model on ``sentences`` (a sample of them, see the module doc); returns the
    serialized model."""
    writer = io.BytesIO()
    spm.set_random_generator_seed(SAMPLING_SEED)
    try:
        spm.SentencePieceTrainer.train(
            sentence_iterator=sentences,
            model_writer=writer,
            vocab_size=cfg.vocab_size,
            hard_vocab_limit=False,  # a tiny corpus may support fewer pieces than asked for
            model_type=cfg.spm_model_type,
            character_coverage=1.0,
            input_sentence_size=cfg.spm_input_sentences,
            shuffle_input_sentence=True,
            pad_id=PAD_ID,
            unk_id=UNK_ID,
            bos_id=BOS_ID,
            eos_id=EOS_ID,
            num_threads=1,  # deterministic: repeated runs give identical models
            user_defined_symbols=[SYNTHETIC_TAG] if cfg.tagged else [],  # one piece, never split
            minloglevel=2,
        )
    except RuntimeError as err:
        raise VocabError(f"SentencePiece training failed (vocab_size={cfg.vocab_size}): {err}") from None
    return writer.getvalue()


def _settings(cfg: DataConfig, paths: tuple[Path, ...]) -> dict[str, Any]:
    """What the models depend on: the settings and the SHA-256 of the training files."""
    tag = {"synthetic_tag": SYNTHETIC_TAG} if cfg.tagged else {}  # absent when untagged: older stamps still match
    return {
        **tag,
        "src_lang": cfg.src_lang,
        "tgt_lang": cfg.tgt_lang,
        "vocab_size": cfg.vocab_size,
        "joint_vocab": cfg.joint_vocab,
        "model_type": cfg.spm_model_type,
        "max_train_pairs": cfg.max_train_pairs,
        "input_sentences": cfg.spm_input_sentences,
        "inputs": file_digests(paths),
        "sentencepiece": spm.__version__,
    }


def _read_stamp(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def _sentences(paths: tuple[Path, ...], cfg: DataConfig, sides: tuple[int, ...]) -> Iterator[str]:
    """The non-empty texts of the given sides (0: source, 1: target) of the training pairs, streamed."""
    for pair in train_pairs(cfg, paths, tagged=False):
        yield from (pair[side] for side in sides if pair[side])


class _Guarded:
    """The sentences for SentencePiece: a CorpusError (say, a line that is not UTF-8) ends the stream and is
    kept in ``error``, to be raised once SentencePiece returns."""

    def __init__(self, sentences: Iterator[str]) -> None:
        self.sentences, self.error = sentences, None

    def __iter__(self) -> Iterator[str]:
        try:
            yield from self.sentences
        except CorpusError as err:
            self.error = err


def train_spm(cfg: DataConfig, paths: tuple[Path, ...], out_dir: Path) -> list[Path]:
    """Train the subword model(s) on the training files ``paths`` (first ``cfg.max_train_pairs`` pairs).

    Returns ``[out_dir/spm.model]`` for a joint vocabulary, else ``[out_dir/spm.src.model,
    out_dir/spm.tgt.model]``. Model files of the other layout are removed so that a Tokenizer loading
    ``out_dir`` is never ambiguous.
    """
    if next(_sentences(paths, cfg, (0, 1)), None) is None:
        raise CorpusError(f"no training text in {describe(paths)} to train SentencePiece on")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    names = [JOINT_MODEL] if cfg.joint_vocab else [SRC_MODEL, TGT_MODEL]
    models = [out_dir / name for name in names]
    settings = _settings(cfg, paths)
    if all(p.is_file() for p in models) and _read_stamp(out_dir / STAMP) == settings:
        return models
    (out_dir / STAMP).unlink(missing_ok=True)
    for stale in {JOINT_MODEL, SRC_MODEL, TGT_MODEL} - set(names):
        (out_dir / stale).unlink(missing_ok=True)
    sides = [(0, 1)] if cfg.joint_vocab else [(0,), (1,)]
    for path, side in zip(models, sides, strict=True):
        stream = _Guarded(_sentences(paths, cfg, side))
        model = _train_model(iter(stream), cfg)
        if stream.error is not None:  # SentencePiece would have reported it as its own internal error
            raise stream.error
        atomic_write_bytes(path, model)
    atomic_write_bytes(out_dir / STAMP, json.dumps(settings, indent=2).encode())
    return models
