"""Where a training or evaluation corpus is: one TSV file, two line-aligned files, or (training) several
corpora with weights and tags. The types of ``DataConfig``'s ``train``/``valid``/``test`` (``training.config``)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from translator.config import require

URL_CHECKSUM = re.compile(r"https?://[^#\s]+#sha256=[0-9a-f]{64}")  # pip's way of pinning a download


def check_location(name: str, location: str) -> None:
    """A corpus file is a local path, or an http(s) URL pinned by ``#sha256=<64 hex digits>``."""
    require(bool(location.strip()), f"{name} must not be empty")
    if location.startswith(("http://", "https://")):
        require(
            URL_CHECKSUM.fullmatch(location) is not None,
            f"{name}: a URL needs its checksum as '#sha256=<64 lowercase hex digits>' (got {location!r})",
        )


@dataclass(frozen=True)
class CorpusFiles:
    """Two line-aligned plain-text files, one sentence a line (gzip or not): ``src`` and ``tgt``."""

    src: str
    tgt: str

    def __post_init__(self) -> None:
        check_location("src", self.src)
        check_location("tgt", self.tgt)


CorpusSource = str | CorpusFiles  # a TSV file (source, tab, target) or two aligned files
CORPUS_SPLITS = ("train", "valid", "test")
SYNTHETIC_TAG = "<bt>"  # put before the source of a tagged corpus's pairs (Caswell et al. 2019); one piece


@dataclass(frozen=True)
class TrainCorpus:
    """One of several training corpora: its files; ``weight``, how often each of its pairs is drawn per epoch
    on average (2: twice, 0.5: half of them, a new half each epoch); ``tag``: its sources start with
    ``SYNTHETIC_TAG`` (synthetic pairs, e.g. back-translations, that the model can tell apart)."""

    files: CorpusSource
    weight: float = 1.0
    tag: bool = False

    def __post_init__(self) -> None:
        if isinstance(self.files, str):
            check_location("files", self.files)
        require(math.isfinite(self.weight) and self.weight >= 0, f"weight must be >= 0, got {self.weight}")
