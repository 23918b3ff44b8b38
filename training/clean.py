"""Cleaning rules for training pairs, each counted: nothing is dropped without a number saying so.

Every pair read is either kept or dropped under the first rule it breaks, in this order:
``empty`` (a side with no text), ``duplicate`` (the same source and target as an earlier pair; the first
is kept), ``too_long`` (a side over ``max_len`` pieces) and ``ratio`` (one side more than
``max_length_ratio`` times as many pieces as the other). Duplicates are found in bounded memory: 8 bytes
(a BLAKE2b digest) per pair, not the text.
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import numpy as np

RULES = ("empty", "duplicate", "too_long", "ratio")


@dataclass
class CleanCounts:
    """Pairs read, kept, and dropped by each rule (RULES)."""

    read: int = 0
    kept: int = 0
    empty: int = 0
    duplicate: int = 0
    too_long: int = 0
    ratio: int = 0

    def as_dict(self) -> dict[str, int]:
        """The counts as a JSON-ready mapping."""
        return asdict(self)

    def summary(self) -> str:
        """One line for the log: ``read 10, kept 7, dropped: empty 1, duplicate 2, too_long 0, ratio 0``."""
        dropped = ", ".join(f"{rule} {getattr(self, rule)}" for rule in RULES)
        return f"read {self.read}, kept {self.kept}, dropped: {dropped}"


def pair_digest(src: str, tgt: str) -> int:
    """A 64-bit digest of one pair (BLAKE2b; a collision among 5M pairs has a chance of about 1e-6)."""
    digest = hashlib.blake2b(f"{src}\t{tgt}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little")


def duplicate_mask(pairs: Iterable[tuple[str, str]]) -> np.ndarray:
    """(N,) bool: True for each pair identical to an earlier one (the first of each group is False)."""
    digests = array("Q", (pair_digest(src, tgt) for src, tgt in pairs))
    values = np.frombuffer(digests, dtype=np.uint64) if digests else np.zeros(0, dtype=np.uint64)
    _, first = np.unique(values, return_index=True)
    mask = np.ones(len(values), dtype=bool)
    mask[first] = False
    return mask


def length_rule(src_len: np.ndarray, tgt_len: np.ndarray, max_len: int, max_ratio: float) -> np.ndarray:
    """(N,) object array of the rule each pair breaks by its piece lengths ("too_long", "ratio") or "" (kept).

    ``src_len``/``tgt_len``: (N,) piece counts, all >= 1. ``max_ratio`` 0 turns the ratio rule off."""
    broken = np.full(len(src_len), "", dtype=object)
    if max_ratio > 0:
        longer, shorter = np.maximum(src_len, tgt_len), np.minimum(src_len, tgt_len)
        broken[longer > max_ratio * shorter] = "ratio"
    broken[(src_len > max_len) | (tgt_len > max_len)] = "too_long"
    return broken
