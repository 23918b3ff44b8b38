"""The full experiment config: data, model, training and decoding sections, loaded from YAML.

Unknown keys anywhere are an error; the resolved config (with vocabulary sizes filled in) is saved
beside the weights in every checkpoint directory and model package.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, get_args

import yaml

from training.config_bases import resolve_bases
from training.corpus_config import CORPUS_SPLITS, CorpusSource, TrainCorpus, check_location
from translator.config import ConfigError, DecodeConfig, ModelConfig, from_dict, require, to_dict
from translator.langcode import LanguageCodeError, normalise_code

LANGS = ("en", "de", "fr", "cs")
PRECISIONS = ("auto", "32-true", "bf16-mixed", "16-mixed", "bf16-true", "16-true", "64-true")
ACCELERATORS = ("auto", "cpu", "gpu", "cuda", "mps", "tpu")
UPSTREAM_MIRROR = "https://raw.githubusercontent.com/multi30k/dataset/master/data/task1/raw"


def _valid_devices(devices: str | int) -> bool:
    """Lightning's forms: "auto", a count >= 1, -1 (all), or device indices with a comma ("0,1", "2,")."""
    if isinstance(devices, int):
        return devices >= 1 or devices == -1
    text = devices.strip()
    if text in ("auto", "-1"):
        return True
    if text.isdigit():
        return int(text) >= 1
    return "," in text and all(part.strip().isdigit() for part in text.rstrip(",").split(","))


WordUnit = Literal["whitespace", "moses"]  # the words guided-alignment links index (training.link_words)
UnlinkedGuide = Literal["free", "uniform"]  # guidance of target pieces no link reaches (TrainConfig)
UNLINKED_GUIDES = get_args(UnlinkedGuide)


@dataclass(frozen=True)
class DataConfig:
    """Which corpus and language pair, how it is cleaned and how it is split into subwords.

    Multi30k (``train``/``valid``/``test`` null): ``mirror`` is a local folder or an http(s) base URL holding
    ``<split>.<lang>.gz``; when null the environment variable ``MULTI30K_MIRROR`` is used, else the upstream
    URL; ``data_dir`` is where it is unpacked. A user's corpus: ``train`` and ``valid`` (and optionally
    ``test``) each name a TSV file (source, tab, target) or ``{src: PATH, tgt: PATH}``; gzip is detected by
    its magic bytes; a path may be an http(s) URL ending in ``#sha256=<hex>`` (downloaded to ``data_dir``
    and verified). Languages are then any BCP 47 codes (``translator.langcode``: ``pt_br`` is read as ``pt-BR``).
    ``train`` may also be a list of corpora (``TrainCorpus``: ``files``, ``weight``, ``tag``), read one after
    the other and cleaned together; the weights act when batches are drawn, each epoch.

    Cleaning of the training pairs (counted, and saved as ``runs/<name>/shards/train/clean.json``): pairs
    with an empty side, a side over ``max_len`` pieces, a piece-length ratio over ``max_length_ratio``
    (0: no limit) or (``drop_duplicates``) an earlier identical pair are dropped. ``spm_input_sentences``:
    SentencePiece trains on a random sample of at most that many sentences. ``max_train_pairs`` keeps only
    the first N training pairs (tiny runs); ``max_val_pairs`` likewise for validation. ``alignment_links``:
    a file of word links for the training pairs (``python -m training.guided``), used by guided alignment;
    ``alignment_words``: the words those links index, ``whitespace`` words of the raw text or its ``moses``
    tokens (``training.link_words``).
    """

    src_lang: str = "de"
    tgt_lang: str = "en"
    train: CorpusSource | tuple[TrainCorpus, ...] | None = None
    valid: CorpusSource | None = None
    test: CorpusSource | None = None
    mirror: str | None = None
    data_dir: str = "data/multi30k"
    vocab_size: int = 8000
    joint_vocab: bool = True
    spm_model_type: Literal["unigram", "bpe"] = "unigram"
    spm_input_sentences: int = 1_000_000
    max_train_pairs: int | None = None
    max_val_pairs: int | None = None
    max_len: int = 100
    max_length_ratio: float = 9.0
    drop_duplicates: bool = True
    alignment_links: str | None = None
    alignment_words: WordUnit = "whitespace"

    def __post_init__(self) -> None:
        for name in ("src_lang", "tgt_lang"):
            try:
                object.__setattr__(self, name, normalise_code(getattr(self, name)))  # pt_br -> pt-BR, once
            except LanguageCodeError as err:
                raise ConfigError(f"data.{name}: {err}") from None
        require(self.src_lang != self.tgt_lang, "src_lang and tgt_lang must differ")
        if self.multi30k:
            require(
                self.src_lang in LANGS and self.tgt_lang in LANGS,
                f"Multi30k has the languages {', '.join(LANGS)}; name your own files in data.train/valid for others",
            )
            require(self.valid is None and self.test is None, "data.valid and data.test need data.train (your files)")
        else:
            require(self.valid is not None, "data.valid is required with data.train (validation picks the model)")
        for split in CORPUS_SPLITS:
            if isinstance(getattr(self, split), str):
                check_location(split, getattr(self, split))
        if isinstance(self.train, tuple):
            require(len(self.train) > 0, "data.train: the list of corpora is empty")
            require(any(c.weight > 0 for c in self.train), "data.train: every corpus has weight 0; nothing to train on")
        require(self.vocab_size >= 16, "vocab_size must be >= 16")
        require(self.max_len >= 2, "max_len must be >= 2")
        require(self.max_length_ratio == 0 or self.max_length_ratio >= 1, "max_length_ratio must be 0 (off) or >= 1")
        require(self.spm_input_sentences >= 100, "spm_input_sentences must be >= 100")
        for name in ("max_train_pairs", "max_val_pairs"):
            value = getattr(self, name)
            require(value is None or value >= 1, f"{name} must be >= 1 or null")

    @property
    def multi30k(self) -> bool:
        """True when the corpus is Multi30k (no files of the user's named)."""
        return self.train is None

    @property
    def several_corpora(self) -> bool:
        """``train`` is a list of corpora (read one after the other, with weights and tags)."""
        return isinstance(self.train, tuple)

    @property
    def corpora(self) -> tuple[TrainCorpus, ...]:
        """The training corpora of the user's files (one, weight 1, untagged, when ``train`` names one)."""
        if self.train is None:
            return ()
        return self.train if isinstance(self.train, tuple) else (TrainCorpus(self.train),)

    @property
    def tagged(self) -> bool:
        """Some training corpus is tagged: the subword models hold ``SYNTHETIC_TAG`` as one piece."""
        return any(c.tag for c in self.corpora)


@dataclass(frozen=True)
class TrainConfig:
    """Optimisation and trainer settings.

    ``batch_tokens`` bounds the padded target tokens of one batch (token bucketing);
    ``schedule`` is ``inverse_sqrt`` (linear warm-up then 1/sqrt decay) or ``plateau`` (halve the
    rate when validation BLEU stops improving). ``accelerator``/``devices``/``num_nodes``/``strategy``/``precision``
    go to Lightning's Trainer; ``auto`` precision means bf16-mixed on GPU and 32 on CPU.
    ``keep_epoch_checkpoints`` keeps the weights of the last N epochs as ``epoch-NN.ckpt`` (for
    checkpoint averaging and checkpoint ensembles; 0 keeps none); ``average_last_epochs`` N > 0
    exports the mean of the last N of those instead of the best checkpoint (needs N <= keep).
    ``guided_alignment_weight`` > 0 adds that weight times the guided-alignment loss (``training.guided``) to
    the training loss; it needs ``data.alignment_links``. 0 (the default) trains without it.
    ``guided_unlinked`` says what guidance does with the target pieces (and EOS) of a linked pair that no link
    reaches: ``free`` (default) leaves their attention unguided; ``uniform`` pulls it toward the uniform
    distribution over the source, so words the teacher leaves unaligned learn flat rows that the extraction
    rules do not link (``training.guided.guide_unlinked``).
    ``subword_alpha`` > 0 turns on subword regularisation (Kudo 2018): every time a training pair is read, both
    sides are segmented anew by SentencePiece sampling with that smoothing (unigram; BPE: the dropout rate) over
    the ``subword_nbest`` best segmentations (-1: all); validation and decoding keep the best segmentation.
    ``init_from``: a model package to continue training from (``training.init_from``: its SentencePiece models
    and weights; the model settings must be its own).
    """

    seed: int = 1234
    batch_tokens: int = 4096
    max_batch_sentences: int = 256
    lr: float = 0.002
    weight_decay: float = 0.0001
    betas: tuple[float, float] = (0.9, 0.98)
    schedule: Literal["inverse_sqrt", "plateau"] = "inverse_sqrt"
    warmup_steps: int = 800
    min_lr: float = 0.00005
    label_smoothing: float = 0.1
    grad_clip: float = 1.0
    max_epochs: int = 30
    max_steps: int = -1
    patience: int = 5
    val_beam_size: int = 1
    val_every_n_epochs: int = 1
    checkpoint_every_n_steps: int = 200
    keep_epoch_checkpoints: int = 0
    average_last_epochs: int = 0
    accelerator: str = "auto"
    devices: str | int = "auto"
    num_nodes: int = 1
    strategy: str = "auto"
    precision: str = "auto"
    num_workers: int = 0
    log_every_n_steps: int = 50
    threads: int = 0
    guided_alignment_weight: float = 0.0
    guided_unlinked: UnlinkedGuide = "free"
    subword_alpha: float = 0.0
    subword_nbest: int = -1
    init_from: str | None = None

    def __post_init__(self) -> None:
        require(0.0 <= self.subword_alpha <= 1.0, "subword_alpha must be in [0, 1] (0: off)")
        require(self.subword_nbest == -1 or self.subword_nbest >= 2, "subword_nbest must be -1 (all) or >= 2")
        require(self.batch_tokens >= 16, "batch_tokens must be >= 16")
        require(self.lr > 0 and self.min_lr >= 0, "lr must be > 0 and min_lr >= 0")
        require(isinstance(self.betas, (list, tuple)) and len(self.betas) == 2, "betas must have two values")
        object.__setattr__(self, "betas", tuple(float(b) for b in self.betas))
        require(0.0 <= self.label_smoothing < 1.0, "label_smoothing must be in [0, 1)")
        require(self.max_epochs >= 1, "max_epochs must be >= 1")
        require(self.patience >= 1, "patience must be >= 1")
        require(self.checkpoint_every_n_steps >= 1, "checkpoint_every_n_steps must be >= 1")
        require(self.keep_epoch_checkpoints >= 0, "keep_epoch_checkpoints must be >= 0")
        require(
            0 <= self.average_last_epochs <= self.keep_epoch_checkpoints,
            "average_last_epochs must be between 0 and keep_epoch_checkpoints",
        )
        require(self.val_beam_size >= 1, "val_beam_size must be >= 1")
        require(self.guided_alignment_weight >= 0.0, "guided_alignment_weight must be >= 0")
        require(self.guided_unlinked in UNLINKED_GUIDES, f"guided_unlinked must be one of {', '.join(UNLINKED_GUIDES)}")
        require(self.precision in PRECISIONS, f"precision must be one of {', '.join(PRECISIONS)}")
        require(self.accelerator in ACCELERATORS, f"accelerator must be one of {', '.join(ACCELERATORS)}")
        require(
            _valid_devices(self.devices),
            f"devices must be 'auto', a count >= 1, -1 (all) or device indices like '0,1' (got {self.devices!r})",
        )
        require(self.num_nodes >= 1, "num_nodes must be >= 1")
        require(self.threads >= 0, "threads must be >= 0 (0: torch's default)")
        require(self.num_workers >= 0, "num_workers must be >= 0")
        require(self.max_steps == -1 or self.max_steps >= 1, "max_steps must be -1 (no limit) or >= 1")
        require(self.log_every_n_steps >= 1 and self.val_every_n_epochs >= 1, "log/validation intervals must be >= 1")
        require(self.max_batch_sentences >= 1, "max_batch_sentences must be >= 1")


@dataclass(frozen=True)
class Config:
    """One experiment: ``name`` names the output folders (``runs/<name>``, ``artifacts/<name>``)."""

    name: str = "default"
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    train: TrainConfig = field(default_factory=TrainConfig)
    decode: DecodeConfig = field(default_factory=DecodeConfig)

    def __post_init__(self) -> None:
        require(bool(self.name) and "/" not in self.name, "name must be a non-empty file name")
        require(
            not self.model.tie_src_tgt or self.data.joint_vocab,
            "model.tie_src_tgt needs data.joint_vocab: true",
        )
        require(
            self.train.guided_alignment_weight == 0.0 or self.data.alignment_links is not None,
            "train.guided_alignment_weight > 0 needs data.alignment_links (python -m training.guided makes it)",
        )
        require(
            self.train.guided_alignment_weight == 0.0 or self.train.subword_alpha == 0.0,
            "train.guided_alignment_weight > 0 cannot use train.subword_alpha (the links index fixed pieces)",
        )
        require(
            self.train.guided_alignment_weight == 0.0 or not self.data.tagged,
            "train.guided_alignment_weight > 0 cannot use a tagged corpus (its tag piece has no word links)",
        )


def load_config(path: str | Path, name: str | None = None) -> Config:
    """Read a YAML config and its bases (``training.config_bases``); ``name`` defaults to the file's stem
    (``configs/tiny.yaml`` -> ``tiny``)."""
    path = Path(path)
    raw = resolve_bases(path)
    raw.setdefault("name", name or path.stem)
    return from_dict(Config, raw)


def config_yaml(cfg: Config) -> str:
    """The resolved config (bases merged, defaults filled in) as YAML text."""
    return yaml.safe_dump(_lists(to_dict(cfg)), sort_keys=False, allow_unicode=True)


def _lists(value: Any) -> Any:
    """``value`` with every tuple a list (YAML's safe form), at any depth."""
    if isinstance(value, dict):
        return {k: _lists(v) for k, v in value.items()}
    return [_lists(v) for v in value] if isinstance(value, (list, tuple)) else value


def save_config(cfg: Config, path: str | Path) -> None:
    """Write the resolved config as YAML."""
    Path(path).write_text(config_yaml(cfg), encoding="utf-8")
