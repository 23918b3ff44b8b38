"""Subword tokenization with SentencePiece: one joint model or a source and a target model.

The tokenizer holds only the loaded processors, which are read-only after loading, so one instance
may be shared between threads. Encoding never adds BOS/EOS; the model code adds them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sentencepiece as spm

from translator.special import BOS_ID, EOS_ID, PAD_ID, UNK_ID

JOINT_MODEL = "spm.model"
SRC_MODEL = "spm.src.model"
TGT_MODEL = "spm.tgt.model"


Span = tuple[int, int]


class TokenizerError(ValueError):
    """The SentencePiece model files are missing, corrupt, or use unexpected special ids; or a text is not
    valid Unicode."""


def _valid(text: str) -> str:
    """``text`` unchanged if it is valid Unicode; lone surrogates (undecodable bytes that Python carried
    through as surrogate escapes, e.g. from command-line arguments) are a TokenizerError."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as err:
        raise TokenizerError(f"the text is not valid UTF-8 (character {err.start})") from None
    return text


def _char_spans(text: str, pieces: Sequence[object]) -> list[Span]:
    """Character spans [start, end) in ``text`` of SentencePiece proto pieces (whose ``begin``/``end`` count
    UTF-8 bytes), without the whitespace a piece's surface starts or ends with (a lone "▁" gets an empty
    span where its space is)."""
    byte_to_char = [i for i, char in enumerate(text) for _ in range(len(char.encode("utf-8")))] + [len(text)]
    spans = []
    for piece in pieces:
        surface: str = piece.surface  # type: ignore[attr-defined]
        lead = len(surface) - len(surface.lstrip())
        start = min(byte_to_char[piece.begin] + lead, byte_to_char[piece.end])  # type: ignore[attr-defined]
        trail = len(surface) - len(surface.rstrip()) if surface.strip() else 0
        end = max(start, byte_to_char[piece.end] - trail)  # type: ignore[attr-defined]
        spans.append((start, end))
    return spans


def _load_processor(path: Path) -> spm.SentencePieceProcessor:
    """Load one model file and check its special ids (pad/unk/bos/eos = 0/1/2/3)."""
    try:
        processor = spm.SentencePieceProcessor(model_file=str(path))
    except (OSError, RuntimeError) as err:
        raise TokenizerError(f"{path}: not a valid SentencePiece model ({err})") from None
    ids = (processor.pad_id(), processor.unk_id(), processor.bos_id(), processor.eos_id())
    if ids != (PAD_ID, UNK_ID, BOS_ID, EOS_ID):
        raise TokenizerError(f"{path}: special ids pad/unk/bos/eos are {ids}, expected (0, 1, 2, 3)")
    return processor


class Tokenizer:
    """Source and target subword encoders; ``joint`` when both sides share one model."""

    def __init__(
        self,
        src: spm.SentencePieceProcessor,
        tgt: spm.SentencePieceProcessor,
        paths: list[Path],
    ) -> None:
        self._src = src
        self._tgt = tgt
        self._paths = list(paths)

    @classmethod
    def load(cls, directory: str | Path) -> Tokenizer:
        """Load ``spm.model`` (joint) or ``spm.src.model`` + ``spm.tgt.model`` from ``directory``."""
        directory = Path(directory)
        joint, src, tgt = (directory / name for name in (JOINT_MODEL, SRC_MODEL, TGT_MODEL))
        if joint.is_file() and (src.is_file() or tgt.is_file()):
            raise TokenizerError(f"{directory}: holds both {JOINT_MODEL} and {SRC_MODEL}/{TGT_MODEL}; keep one layout")
        if joint.is_file():
            processor = _load_processor(joint)
            return cls(processor, processor, [joint])
        if src.is_file() and tgt.is_file():
            return cls(_load_processor(src), _load_processor(tgt), [src, tgt])
        missing = [p.name for p in (src, tgt) if not p.is_file()]
        if len(missing) == 1:
            raise TokenizerError(f"{directory}: {missing[0]} is missing (separate vocabularies need both files)")
        raise TokenizerError(
            f"{directory}: no SentencePiece model found (expected {JOINT_MODEL} or {SRC_MODEL} + {TGT_MODEL})"
        )

    @property
    def joint(self) -> bool:
        """True when source and target share one vocabulary."""
        return self._src is self._tgt

    @property
    def src_vocab_size(self) -> int:
        """Number of source ids (including the four special ones)."""
        return self._src.get_piece_size()

    @property
    def tgt_vocab_size(self) -> int:
        """Number of target ids (including the four special ones)."""
        return self._tgt.get_piece_size()

    def files(self) -> list[Path]:
        """The model files this tokenizer was loaded from (to copy into a model package)."""
        return list(self._paths)

    def encode_source(self, text: str) -> tuple[list[int], list[str]]:
        """Source text -> (ids, pieces), one id per piece, without BOS/EOS."""
        pieces = self._src.encode(_valid(text), out_type=str)
        ids = [self._src.piece_to_id(piece) for piece in pieces]
        return ids, pieces

    def source_piece_spans(self, text: str) -> list[Span]:
        """The character span in ``text`` of every piece ``encode_source(text)`` returns (see ``_char_spans``)."""
        return _char_spans(text, self._src.encode(_valid(text), return_type="proto").pieces)

    def target_piece_spans(self, ids: list[int]) -> tuple[str, list[Span]]:
        """Target ids (no EOS) -> (``decode_target(ids)``, the character span of every piece in that text)."""
        proto = self._tgt.decode(self._check_target_ids(list(ids)), return_type="proto")
        return proto.text, _char_spans(proto.text, proto.pieces)

    def encode_many(self, texts: Sequence[str], target: bool = False) -> list[list[int]]:
        """Many source (or ``target``) texts -> ids of each, without BOS/EOS, encoded by SentencePiece on all
        cores; for texts decoded from UTF-8 (they are not re-checked one by one)."""
        processor = self._tgt if target else self._src
        return processor.encode(list(texts), out_type=int, num_threads=-1)

    def resample(self, ids: Sequence[int], target: bool, alpha: float, nbest: int = -1) -> list[int]:
        """The text of source (or ``target``) ``ids`` segmented anew by SentencePiece sampling (subword
        regularisation, Kudo 2018): ``alpha`` the smoothing (BPE: the dropout rate), ``nbest`` the number of
        segmentations sampled from (-1: all)."""
        processor = self._tgt if target else self._src
        text = processor.decode([int(i) for i in ids])
        return processor.encode(text, out_type=int, enable_sampling=True, alpha=alpha, nbest_size=nbest)

    def encode_target(self, text: str) -> list[int]:
        """Target text -> ids without BOS/EOS."""
        return self._tgt.encode(_valid(text), out_type=int)

    def _check_target_ids(self, ids: list[int]) -> list[int]:
        """``ids`` as plain ints; raises TokenizerError for ids outside the target vocabulary."""
        size = self.tgt_vocab_size
        bad = [i for i in ids if not 0 <= i < size]
        if bad:
            raise TokenizerError(f"target ids {bad[:5]} are outside the vocabulary [0, {size})")
        return [int(i) for i in ids]

    def decode_target(self, ids: list[int]) -> str:
        """Target ids -> text; ids from the first EOS on are ignored, pad/bos decode to nothing."""
        ids = self._check_target_ids(list(ids))
        return self._tgt.decode(ids[: ids.index(EOS_ID)] if EOS_ID in ids else ids)

    def target_ids(self, pieces: Sequence[str]) -> list[int]:
        """Target pieces (as ``target_pieces`` names them) -> their ids."""
        return [self._tgt.piece_to_id(piece) for piece in pieces]

    def target_pieces(self, ids: list[int]) -> list[str]:
        """Target ids -> their pieces (``<s>``/``</s>``/``<pad>`` for specials), e.g. to label attention plots."""
        return [self._tgt.id_to_piece(i) for i in self._check_target_ids(list(ids))]
