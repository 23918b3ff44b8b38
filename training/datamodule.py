"""Lightning data module: the corpus (Multi30k or the user's files), token-bucketed training batches read
from the training shards, sorted validation.

An example is ``(index, src_ids, tgt_ids)``: its line in the split and its subword ids without BOS/EOS.
``collate`` pads them into a ``Batch``. ``prepare_data`` trains the subword models and encodes the training
split once into shards (``training.shards``: cleaned, counted, re-used while the inputs are unchanged);
training batches come from ``BucketBatchSampler`` over the shards' lengths, validation batches are fixed runs
of examples sorted by source length. With several devices or nodes each rank draws its own share of batches
itself, so the Trainer needs ``use_distributed_sampler=False``.
"""

from __future__ import annotations

import fcntl
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

import numpy as np
import pytorch_lightning as pl
import torch
from torch import Tensor
from torch.utils.data import DataLoader, Sampler

from training.clean import CleanCounts
from training.config import Config, DataConfig, UnlinkedGuide
from training.guided import PieceLinks, guide_tensor, guide_unlinked
from training.guided_store import FOLDER as GUIDED_FOLDER
from training.guided_store import PieceLinkStore, build_store
from training.init_from import install_tokenizer
from training.paths import run_dir, shard_dir, spm_dir
from training.resumable_loader import ResumableLoader
from training.sampler import BucketBatchSampler, sorted_batches
from training.shards import ShardDataset, build_shards, read_meta
from training.sources import describe, fetch_corpus, read_split, split_paths
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


def encode_eval(pairs: Sequence[tuple[str, str]], tokenizer: Tokenizer, max_len: int) -> list[Example]:
    """Tokenize evaluation pairs, keeping all of them: both sides are truncated to ``max_len`` pieces and
    an empty source becomes a single UNK (the encoder needs at least one position)."""
    examples = []
    for index, (src_text, tgt_text) in enumerate(pairs):
        src = tokenizer.encode_source(src_text)[0][:max_len] or [UNK_ID]
        examples.append((index, src, tokenizer.encode_target(tgt_text)[:max_len]))
    return examples


class LinkReader(Protocol):
    """Where guided examples' piece links come from: ``training.guided_store.PieceLinkStore`` (on disk)."""

    def read(self, positions: Sequence[int]) -> list[PieceLinks]: ...


class LinkedExamples:
    """The examples of ``base`` (a ShardDataset) with their piece links (``training.guided``) as a 4th item,
    read for the batch's positions from ``links``; ``unlinked`` is ``train.guided_unlinked`` (``uniform``:
    steps no link reaches get every source piece)."""

    def __init__(self, base: ShardDataset, links: LinkReader, unlinked: UnlinkedGuide = "free") -> None:
        self.base, self.links, self.lengths, self.unlinked = base, links, base.lengths, unlinked

    def __len__(self) -> int:
        return len(self.base)

    def __getitems__(self, positions: Sequence[int]) -> list:
        examples, links = self.base.__getitems__(positions), self.links.read(positions)
        return [(i, src, tgt, self._guide(found, src, tgt)) for (i, src, tgt), found in zip(examples, links)]

    def _guide(self, links: PieceLinks, src: Sequence[int], tgt: Sequence[int]) -> PieceLinks:
        if self.unlinked == "uniform":
            return guide_unlinked(links, len(src), len(tgt) + 1)  # + 1: the EOS step
        return links


class SampledExamples:
    """The examples of ``base`` with both sides segmented anew each time they are read (subword
    regularisation: ``Tokenizer.resample`` with ``alpha`` and ``nbest``), each side cut to ``max_len`` pieces.
    The sampler's lengths stay those of the best segmentation, so a batch may pass ``batch_tokens`` a little."""

    def __init__(self, base: ShardDataset, tokenizer: Tokenizer, alpha: float, nbest: int, max_len: int) -> None:
        self.base, self.tokenizer, self.lengths = base, tokenizer, base.lengths
        self.alpha, self.nbest, self.max_len = alpha, nbest, max_len

    def __len__(self) -> int:
        return len(self.base)

    def __getitems__(self, positions: Sequence[int]) -> list:
        return [
            (i, self._sample(src, False) or src, self._sample(tgt, True) or tgt)
            for i, src, tgt in self.base.__getitems__(positions)
        ]

    def _sample(self, ids: Sequence[int], target: bool) -> list[int]:
        return self.tokenizer.resample(ids, target, self.alpha, self.nbest)[: self.max_len]


TrainData = ShardDataset | LinkedExamples | SampledExamples | list  # a list: small in-memory data (tests)


def example_weights(data: DataConfig, shards: Path) -> np.ndarray | None:
    """(N,) each kept training pair's corpus weight (several corpora in ``data.train``), else None: the corpus of
    a pair is found from its input line (``index.npy``) and the lines each corpus had (``meta.json``)."""
    if not data.several_corpora:
        return None
    lines = read_meta(shards)["corpus_lines"]  # type: ignore[index]
    lines += [0] * (len(data.corpora) - len(lines))  # corpora after a max_train_pairs cut: none read
    corpus = np.searchsorted(np.cumsum(lines), np.load(shards / "index.npy"), side="right")  # (N,)
    return np.array([c.weight for c in data.corpora], dtype=np.float64)[corpus]


def _lengths(data: TrainData) -> np.ndarray:
    """(N, 2) source and target piece counts of the training examples."""
    if isinstance(data, list):
        counts = [[len(src), len(tgt)] for _, src, tgt, *_ in data]
        return np.array(counts, dtype=np.int64).reshape(-1, 2)  # (N, 2), also when N is 0
    return data.lengths


class TranslationDataModule(pl.LightningDataModule):
    """``cfg.data.src_lang`` -> ``cfg.data.tgt_lang``; subword models in ``runs/<name>/spm``, training shards in
    ``runs/<name>/shards/train``.

    After ``setup``: ``tokenizer``, ``train_data`` (the training examples: a ShardDataset), ``val_examples``
    and ``val_references`` (raw target texts of the validation split in split order; ``Batch.index`` points
    into them).
    """

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.spm_dir: Path = spm_dir(cfg)
        self.tokenizer: Tokenizer | None = None
        self.train_data: TrainData = []
        self.val_examples: list[Example] = []
        self.val_references: list[str] = []
        self._prepared = False

    def prepare_data(self) -> None:
        """Fetch the corpus, train the subword models and encode the training shards (writes files). Under a
        lock file in the run folder: processes that start together (torchrun, SLURM) wait for the first one
        and then find everything built."""
        if self._prepared:  # ``fit`` prepares before the Trainer does (to read the vocabulary sizes)
            return
        data = self.cfg.data
        run_dir(self.cfg).mkdir(parents=True, exist_ok=True)
        with open(run_dir(self.cfg) / ".prepare.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file is closed
            fetch_corpus(data)
            paths = split_paths(data, "train")
            if self.cfg.train.init_from:  # continued training: the package's pieces, as they are
                tokenizer = install_tokenizer(self.cfg.train.init_from, self.spm_dir)
            else:
                train_spm(data, paths, self.spm_dir)
                tokenizer = Tokenizer.load(self.spm_dir)
            meta = build_shards(data, paths, tokenizer, shard_dir(self.cfg))
            if self.cfg.train.guided_alignment_weight > 0:
                build_store(data, paths, tokenizer, shard_dir(self.cfg))
        print(f"training pairs of {describe(paths)}: {CleanCounts(**meta['clean']).summary()}", file=sys.stderr)
        self._prepared = True

    def setup(self, stage: str | None = None) -> None:
        """Load the tokenizer, open the training shards and tokenize the validation split, as ``stage`` needs."""
        data = self.cfg.data
        self.tokenizer = Tokenizer.load(self.spm_dir)
        if stage in (None, "fit"):
            self.train_data = ShardDataset(shard_dir(self.cfg))
            train = self.cfg.train
            if train.guided_alignment_weight > 0:
                links = PieceLinkStore(shard_dir(self.cfg) / GUIDED_FOLDER)
                self.train_data = LinkedExamples(self.train_data, links, train.guided_unlinked)
            elif train.subword_alpha > 0:
                self.train_data = SampledExamples(
                    self.train_data, self.tokenizer, train.subword_alpha, train.subword_nbest, data.max_len
                )
        if stage in (None, "fit", "validate"):
            pairs = read_split(data, "valid", limit=data.max_val_pairs)
            self.val_examples = encode_eval(pairs, self.tokenizer, data.max_len)
            self.val_references = [tgt for _, tgt in pairs]

    def _rank(self) -> tuple[int, int]:
        """(global rank, world size) from the attached trainer, else (0, 1)."""
        trainer = self.trainer
        return (trainer.global_rank, trainer.world_size) if trainer is not None else (0, 1)

    def _loader(
        self,
        examples: TrainData,
        batch_sampler: Sampler[list[int]] | list[list[int]],
        loader: type[DataLoader] = DataLoader,
    ) -> DataLoader:
        workers = self.cfg.train.num_workers
        return loader(
            examples,  # type: ignore[arg-type]  # map-style: a list, or __getitems__ by batch
            batch_sampler=batch_sampler,
            collate_fn=collate,
            num_workers=workers,
            persistent_workers=workers > 0,
        )

    def train_dataloader(self) -> DataLoader:
        """Token-bucketed, shuffled batches of this rank (see BucketBatchSampler)."""
        if len(self.train_data) == 0:
            raise RuntimeError("TranslationDataModule.setup('fit') must run before train_dataloader()")
        rank, world_size = self._rank()
        lengths = _lengths(self.train_data)  # (N, 2): source, target pieces
        sampler = BucketBatchSampler(
            lengths[:, 1].astype(np.int32) + 1,  # target pieces + EOS
            batch_tokens=self.cfg.train.batch_tokens,
            max_sentences=self.cfg.train.max_batch_sentences,
            seed=self.cfg.train.seed,
            rank=rank,
            world_size=world_size,
            src_lengths=lengths[:, 0],
            weights=example_weights(self.cfg.data, shard_dir(self.cfg)),
        )
        return self._loader(self.train_data, sampler, ResumableLoader)  # its place in the epoch is checkpointed

    def val_dataloader(self) -> DataLoader:
        """Validation batches of up to ``cfg.decode.batch_size`` sentences, sorted by source length."""
        if not self.val_examples:
            raise RuntimeError("TranslationDataModule.setup() must run before val_dataloader()")
        rank, world_size = self._rank()
        lengths = [len(src) for _, src, _ in self.val_examples]
        return self._loader(self.val_examples, sorted_batches(lengths, self.cfg.decode.batch_size, rank, world_size))
