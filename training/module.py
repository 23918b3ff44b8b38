"""LightningModule: label-smoothed cross-entropy, AdamW with warm-up/decay or plateau schedule,
validation loss, perplexity and BLEU. Every checkpoint records the BLEU of the latest validation under
``VAL_BLEU_KEY`` (so ``best.ckpt`` carries the best score; see ``recorded_val_bleu``)."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import pytorch_lightning as pl
import sacrebleu
import torch
import torch.nn.functional as F
from torch import Tensor

from training.config import Config
from training.guided import guided_alignment_loss
from training.init_from import initial_state
from translator.config import to_dict
from translator.model import Seq2Seq
from translator.search import search
from translator.special import PAD_ID

VAL_BLEU_KEY = "val_bleu"


def recorded_val_bleu(checkpoint_path: str | Path) -> float:
    """The validation BLEU a checkpoint was saved with (NaN for checkpoints that record none)."""
    checkpoint = torch.load(checkpoint_path, map_location="cpu", weights_only=False, mmap=True)
    return float(checkpoint.get(VAL_BLEU_KEY, math.nan))


class TranslationModule(pl.LightningModule):
    """Trains a ``Seq2Seq``; one ``_common_step`` computes the losses for train and validation."""

    def __init__(self, cfg: Config) -> None:
        super().__init__()
        self.cfg = cfg
        self.save_hyperparameters({"config": to_dict(cfg)})
        self.model = Seq2Seq(cfg.model)
        if cfg.train.init_from:  # continued training (a resumed run then loads its own checkpoint over it)
            self.model.load_state_dict(initial_state(cfg))
        self.val_decode = dataclasses.replace(cfg.decode, beam_size=cfg.train.val_beam_size)
        self._val_hyps: list[tuple[int, list[int]]] = []  # (example index, piece ids) for this epoch
        self._last_val_bleu = math.nan  # BLEU of the latest validation, written into every checkpoint

    def _common_step(self, batch: Any, stage: str) -> Tensor:
        """Loss of a batch: src (B, S), tgt_in/tgt_out (B, T) -> mean label-smoothed CE per target token."""
        logits, attention = self.model(batch.src, batch.src_len, batch.tgt_in)
        B, T, V = logits.size()
        flat_logits, flat_gold = logits.reshape(B * T, V).float(), batch.tgt_out.reshape(B * T)  # a row per token
        tokens = (flat_gold != PAD_ID).sum()
        loss = F.cross_entropy(
            flat_logits, flat_gold, ignore_index=PAD_ID, label_smoothing=self.cfg.train.label_smoothing, reduction="sum"
        ) / tokens.clamp(min=1)
        batch_size = batch.src.size(0)
        on_step = stage == "train"
        weight = self.cfg.train.guided_alignment_weight
        if on_step and weight > 0 and batch.guide is not None:
            guided = guided_alignment_loss(attention, batch.guide)
            self.log("train_guided_loss", guided, on_step=True, batch_size=batch_size)
            loss = loss + weight * guided
        self.log(
            f"{stage}_loss",
            loss,
            prog_bar=True,
            batch_size=batch_size,
            on_step=on_step,
            on_epoch=not on_step,
            sync_dist=not on_step,
        )
        if stage != "train":
            nll = F.cross_entropy(flat_logits, flat_gold, ignore_index=PAD_ID, reduction="sum")
            self.log(f"{stage}_nll_sum", nll, reduce_fx="sum", on_epoch=True, sync_dist=True, batch_size=batch_size)
            self.log(
                f"{stage}_tokens", tokens.float(), reduce_fx="sum", on_epoch=True, sync_dist=True, batch_size=batch_size
            )
        return loss

    def training_step(self, batch: Any, batch_idx: int) -> Tensor:
        loss = self._common_step(batch, "train")
        self.log("lr", self.optimizers().param_groups[0]["lr"], on_step=True, prog_bar=False)
        return loss

    def validation_step(self, batch: Any, batch_idx: int) -> None:
        self._common_step(batch, "val")
        hyps = search(self.model, batch.src, batch.src_len, self.val_decode)
        self._val_hyps.extend(zip(batch.index.tolist(), (h.tokens for h in hyps)))

    def on_validation_epoch_start(self) -> None:
        self._val_hyps = []

    def on_validation_epoch_end(self) -> None:
        metrics = self.trainer.callback_metrics
        if "val_nll_sum" in metrics and "val_tokens" in metrics:
            ppl = math.exp(min(50.0, float(metrics["val_nll_sum"]) / max(1.0, float(metrics["val_tokens"]))))
            self.log("val_ppl", ppl, prog_bar=True)
        self._last_val_bleu = self._validation_bleu()
        self.log(VAL_BLEU_KEY, self._last_val_bleu, prog_bar=True)
        self._val_hyps = []

    def on_save_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        checkpoint[VAL_BLEU_KEY] = self._last_val_bleu

    def on_load_checkpoint(self, checkpoint: dict[str, Any]) -> None:
        self._last_val_bleu = float(checkpoint.get(VAL_BLEU_KEY, math.nan))

    def _validation_bleu(self) -> float:
        """Corpus BLEU of this epoch's hypotheses against their references (gathered over ranks)."""
        gathered = [self._val_hyps]
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            gathered = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(gathered, self._val_hyps)
        by_index = {i: ids for part in gathered for i, ids in part}
        if not by_index:
            return 0.0
        datamodule = self.trainer.datamodule
        order = sorted(by_index)
        hyps = [datamodule.tokenizer.decode_target(by_index[i]) for i in order]
        refs = [datamodule.val_references[i] for i in order]
        return float(sacrebleu.corpus_bleu(hyps, [refs]).score)

    def configure_optimizers(self) -> Any:
        train = self.cfg.train
        optimizer = torch.optim.AdamW(
            self.parameters(), lr=train.lr, betas=tuple(train.betas), weight_decay=train.weight_decay
        )
        if train.schedule == "plateau":
            scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
                optimizer, mode="max", factor=0.5, patience=1, min_lr=train.min_lr
            )
            return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "monitor": VAL_BLEU_KEY}}
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, self._inverse_sqrt_factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def _inverse_sqrt_factor(self, step: int) -> float:
        """Linear warm-up to ``lr`` over ``warmup_steps``, then lr * sqrt(warmup / step), floored at min_lr."""
        train = self.cfg.train
        warmup = max(1, train.warmup_steps)
        step = max(1, step)
        factor = step / warmup if step < warmup else math.sqrt(warmup / step)
        return max(factor, train.min_lr / train.lr)
