"""Lightning data module: the tokenized Multi30k pair, token-bucketed training batches, sorted validation.

An example is ``(index, src_ids, tgt_ids)``: its position in the split and its subword ids without
BOS/EOS. ``collate`` pads them into a ``Batch``. Training batches come from ``BucketBatchSampler``,
validation batches are fixed runs of examples sorted by source length. With several devices each
rank draws its own share of batches itself, so the Trainer needs ``use_distributed_sampler=False``.
"""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import NamedTuple

import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Sampler

from training.config import Config
from training.corpus import CorpusError, load_pairs, prepare_corpus
from training.guided import guide_tensor, piece_links, read_links
from training.paths import spm_dir
from training.vocab import train_spm
from translator.padding import lengths_of, pad_ids
from translator.special import BOS_ID, EOS_ID, UNK_ID
from translator.tokenizer import Tokenizer

Example = tuple[int, list[int], list[int]]  # training examples may carry a 4th item: their PieceLinks


class Batch(NamedTuple):
    """A padded batch (``translator.special.PAD_ID``). src (B, S) and src_len (B,); tgt_in (B, T) = BOS + ids and
    tgt_out (B, T) = ids + EOS; index (B,) = each example's position in its split: long tensors. ``guide``
    (B, T, S): guided-alignment targets (``training.guided``) when the examples carry links, else None."""

    src: Tensor
    src_len: Tensor
    tgt_in: Tensor
    tgt_out: Tensor
    index: Tensor
    guide: Tensor | None = None

    def to(self, device: torch.device | str) -> Batch:
        """The same batch on ``device``."""
        return Batch(*(None if t is None else t.to(device) for t in self))


def collate(examples: Sequence[Example]) -> Batch:
    """Pad a list of examples into a Batch (see Batch for the shapes)."""
    index, src, tgt, *links = zip(*examples, strict=True)
    src_ids, tgt_in = pad_ids(src), pad_ids([[BOS_ID, *t] for t in tgt])
    return Batch(
        src=src_ids,
        src_len=lengths_of(src),
        tgt_in=tgt_in,
        tgt_out=pad_ids([[*t, EOS_ID] for t in tgt]),
        index=torch.tensor(index, dtype=torch.long),
        guide=guide_tensor(links[0], tgt_in.size(1), src_ids.size(1)) if links else None,
    )


def _greedy_batches(
    order: Sequence[int], lengths: Sequence[int], batch_tokens: int, max_sentences: int
) -> list[list[int]]:
    """Cut ``order`` into consecutive batches with size * max length <= batch_tokens, size <= max_sentences.

    An example longer than ``batch_tokens`` gets a batch of its own."""
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for i in order:
        grown = max(longest, lengths[i])
        if current and (len(current) >= max_sentences or (len(current) + 1) * grown > batch_tokens):
            batches.append(current)
            current, grown = [], lengths[i]
        current.append(i)
        longest = grown
    if current:
        batches.append(current)
    return batches


class BucketBatchSampler(Sampler[list[int]]):
    """Token-bucketed batches of example positions, deterministic given (seed, epoch).

    Each epoch: shuffle all examples, sort them stably by (length, src length), so that examples of
    equal length are grouped in a new random order, cut the sequence into batches under the token
    and sentence budgets, and shuffle the batch order. The batch boundaries depend only on the sorted
    lengths, so every epoch has the same number of batches: Lightning fixes the number of batches per
    epoch after the first one (and validates when it is reached), so a varying count, as sorting
    within random chunks gives, would skip batches or validation runs in later epochs.

    Rank ``r`` of ``world_size`` takes batches ``r::world_size`` after the tail is dropped so that every
    rank gets the same number; with one rank every example is used once per epoch. ``lengths`` is the
    cost per example (target length including EOS).
    """

    def __init__(
        self,
        lengths: Sequence[int],
        batch_tokens: int,
        max_sentences: int,
        seed: int = 0,
        rank: int = 0,
        world_size: int = 1,
        src_lengths: Sequence[int] | None = None,
    ) -> None:
        if not 0 <= rank < world_size:
            raise ValueError(f"rank {rank} is outside [0, world_size={world_size})")
        if batch_tokens < 1 or max_sentences < 1 or not lengths:
            raise ValueError("BucketBatchSampler needs examples, batch_tokens >= 1 and max_sentences >= 1")
        self.lengths = list(lengths)
        self.src_lengths = list(src_lengths) if src_lengths is not None else [0] * len(self.lengths)
        self.batch_tokens, self.max_sentences = batch_tokens, max_sentences
        self.seed, self.rank, self.world_size = seed, rank, world_size
        self.epoch = 0

    @property
    def sampler(self) -> BucketBatchSampler:
        """Lightning calls ``set_epoch`` on ``dataloader.batch_sampler.sampler``: that is this object."""
        return self

    def set_epoch(self, epoch: int) -> None:
        """Select the epoch whose shuffle ``__iter__`` yields."""
        self.epoch = epoch

    def all_batches(self) -> list[list[int]]:
        """Every rank's batches of the current epoch, in order (before sharding)."""
        rng = random.Random(self.seed * 1_000_003 + self.epoch)
        order = list(range(len(self.lengths)))
        rng.shuffle(order)
        order.sort(key=lambda i: (self.lengths[i], self.src_lengths[i]))  # stable: ties stay shuffled
        batches = _greedy_batches(order, self.lengths, self.batch_tokens, self.max_sentences)
        rng.shuffle(batches)
        return batches

    def _rank_batches(self) -> list[list[int]]:
        batches = self.all_batches()
        per_rank = len(batches) // self.world_size
        if per_rank == 0:
            raise ValueError(f"only {len(batches)} training batches for {self.world_size} ranks; use more data")
        return batches[: per_rank * self.world_size][self.rank :: self.world_size]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self._rank_batches())

    def __len__(self) -> int:
        return len(self._rank_batches())


def sorted_batches(lengths: Sequence[int], batch_size: int, rank: int = 0, world_size: int = 1) -> list[list[int]]:
    """Positions sorted by length (stable), cut into batches of ``batch_size``; rank takes ``rank::world_size``."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    return batches[rank::world_size]


def encode_train(pairs: Sequence[tuple[str, str]], tokenizer: Tokenizer, max_len: int) -> list[Example]:
    """Tokenize training pairs, dropping those with an empty side or a side longer than ``max_len`` pieces."""
    examples = []
    for index, (src_text, tgt_text) in enumerate(pairs):
        src, tgt = tokenizer.encode_source(src_text)[0], tokenizer.encode_target(tgt_text)
        if 0 < len(src) <= max_len and 0 < len(tgt) <= max_len:
            examples.append((index, src, tgt))
    return examples


def encode_eval(pairs: Sequence[tuple[str, str]], tokenizer: Tokenizer, max_len: int) -> list[Example]:
    """Tokenize evaluation pairs, keeping all of them: both sides are truncated to ``max_len`` pieces and
    an empty source becomes a single UNK (the encoder needs at least one position)."""
    examples = []
    for index, (src_text, tgt_text) in enumerate(pairs):
        src = tokenizer.encode_source(src_text)[0][:max_len] or [UNK_ID]
        examples.append((index, src, tokenizer.encode_target(tgt_text)[:max_len]))
    return examples


class TranslationDataModule(pl.LightningDataModule):
    """Multi30k ``cfg.data.src_lang`` -> ``cfg.data.tgt_lang``; subword models in ``runs/<name>/spm``.

    After ``setup``: ``tokenizer``, ``train_examples``, ``val_examples`` and ``val_references`` (raw
    target texts of the validation split in split order; ``Batch.index`` points into them).
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.spm_dir: Path = spm_dir(cfg)
        self.tokenizer: Tokenizer | None = None
        self.train_examples: list[Example] = []
        self.val_examples: list[Example] = []
        self.val_references: list[str] = []

    def prepare_data(self) -> None:
        """Fetch the corpus and train the subword models (writes files; Lightning runs it on one process)."""
        data_dir = prepare_corpus(self.cfg.data)
        train_spm(self.cfg.data, data_dir, self.spm_dir)

    def setup(self, stage: str | None = None) -> None:
        """Load the tokenizer and tokenize the splits that ``stage`` needs."""
        data = self.cfg.data
        self.tokenizer = Tokenizer.load(self.spm_dir)
        if stage in (None, "fit"):
            pairs = load_pairs(data.data_dir, "train", data.src_lang, data.tgt_lang, limit=data.max_train_pairs)
            self.train_examples = encode_train(pairs, self.tokenizer, data.max_len)
            if not self.train_examples:
                raise CorpusError(f"no training pairs of 1..{data.max_len} pieces in {data.data_dir}")
            if self.cfg.train.guided_alignment_weight > 0:
                self.train_examples = self._with_links(pairs, self.train_examples)
        if stage in (None, "fit", "validate"):
            pairs = load_pairs(data.data_dir, "val", data.src_lang, data.tgt_lang, limit=data.max_val_pairs)
            self.val_examples = encode_eval(pairs, self.tokenizer, data.max_len)
            self.val_references = [tgt for _, tgt in pairs]

    def _with_links(self, pairs: Sequence[tuple[str, str]], examples: list[Example]) -> list:
        """Each training example with its piece links (``training.guided``) as a 4th item."""
        links = read_links(self.cfg.data.alignment_links, len(pairs))
        tok = self.tokenizer
        return [(i, src, tgt, piece_links(tok, *pairs[i], links[i])) for i, src, tgt in examples]

    def _rank(self) -> tuple[int, int]:
        """(global rank, world size) from the attached trainer, else (0, 1)."""
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def _loader(self, examples: list[Example], batch_sampler: Sampler[list[int]] | list[list[int]]) -> DataLoader:
        workers = self.cfg.train.num_workers
        return DataLoader(
            examples,  # type: ignore[arg-type]  # a list is a map-style dataset
            batch_sampler=batch_sampler,
            collate_fn=collate,
            num_workers=workers,
            persistent_workers=workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        """Token-bucketed, shuffled batches of this rank (see BucketBatchSampler)."""
        if not self.train_examples:
            raise RuntimeError("TranslationDataModule.setup('fit') must run before train_dataloader()")
        rank, world_size = self._rank()
        sampler = BucketBatchSampler(
            [len(example[2]) + 1 for example in self.train_examples],  # target pieces + EOS
            batch_tokens=self.cfg.train.batch_tokens,
            max_sentences=self.cfg.train.max_batch_sentences,
            seed=self.cfg.train.seed,
            rank=rank,
            world_size=world_size,
            src_lengths=[len(example[1]) for example in self.train_examples],
        )
        return self._loader(self.train_examples, sampler)

    def val_dataloader(self) -> DataLoader:
        """Validation batches of up to ``cfg.decode.batch_size`` sentences, sorted by source length."""
        if not self.val_examples:
            raise RuntimeError("TranslationDataModule.setup() must run before val_dataloader()")
        rank, world_size = self._rank()
        lengths = [len(src) for _, src, _ in self.val_examples]
        return self._loader(self.val_examples, sorted_batches(lengths, self.cfg.decode.batch_size, rank, world_size))
