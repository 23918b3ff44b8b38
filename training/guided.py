"""Guided alignment (Chen et al. 2016; Marian's ``--guided-alignment``): word links of the training pairs
become per-piece attention targets, and an auxiliary loss pulls the attention toward them.

Links are made by eflomal over the whitespace words of the raw training text, both directions, symmetrised:

    python -m training.guided --config configs/en-fr.yaml [--out runs/en-fr/train.links] [--symmetrise union]

writes one line of Pharaoh links (``i-j``, 0-indexed source word i, target word j) per training pair, in the
order ``load_pairs`` reads them. With ``data.alignment_links`` naming that file and
``train.guided_alignment_weight`` > 0, each training target piece of target word j gets as its target row the
uniform distribution over the source pieces of the words linked to j; the loss adds the weight times the
cross-entropy between those rows and the attention (target pieces without a link are not guided).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from training.config import load_config
from training.corpus import CorpusError
from training.sources import iter_pairs, split_paths
from translator.files import atomic_write_text, temp_path
from translator.forced import AlignmentInputError, encode_pair
from translator.links import SYMMETRISATIONS, Link, LinkError, format_links, parse_links, symmetrise
from translator.tokenizer import Tokenizer

PieceLinks = tuple[tuple[int, int], ...]  # (target piece, source piece)


def piece_links(tokenizer: Tokenizer, source: str, target: str, links: set[Link]) -> PieceLinks:
    """Word links (source word, target word) -> (target piece, source piece) pairs of the sentence's own
    pieces; () when a side is empty or encoding word by word does not give the sentence's pieces."""
    try:
        src, tgt = encode_pair(tokenizer, source, target)
    except AlignmentInputError:
        return ()
    if src.ids != tokenizer.encode_source(source)[0] or tgt.ids != tokenizer.encode_target(target):
        return ()
    return tuple(
        (t, s)
        for i, j in sorted(links)
        if i < len(src.spans) and j < len(tgt.spans)
        for t in range(*tgt.spans[j])
        for s in range(*src.spans[i])
    )


def guide_tensor(links: Sequence[PieceLinks], steps: int, width: int) -> Tensor:
    """Per-example piece links -> attention targets (B, steps, width): a guided row is uniform over its linked
    source pieces, an unguided row is all zeros."""
    guide = torch.zeros(len(links), steps, width)
    for b, pairs in enumerate(links):
        for t, s in pairs:
            guide[b, t, s] = 1.0
    totals = guide.sum(dim=-1, keepdim=True)  # (B, steps, 1)
    return torch.where(totals > 0, guide / totals.clamp_min(1.0), guide)


def guided_alignment_loss(attention: Tensor, guide: Tensor) -> Tensor:
    """Mean over guided rows of the cross-entropy -sum_s guide[s] log attention[s]: attention and guide
    (B, T, S); 0 when no row is guided."""
    rows = guide.sum(dim=-1) > 0  # (B, T)
    if not bool(rows.any()):
        return attention.new_zeros((), dtype=torch.float32)
    cross = -(guide * torch.log(attention.float().clamp_min(1e-9))).sum(dim=-1)  # (B, T)
    return cross[rows].mean()


def read_links(path: str | Path, pairs: int) -> list[set[Link]]:
    """The links file for ``pairs`` training pairs, 0-indexed; a different line count is a CorpusError."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"alignment links file not found: {path} (make it with python -m training.guided)")
    lines = path.read_text(encoding="utf-8").splitlines()
    if len(lines) != pairs:
        raise CorpusError(f"{path} has {len(lines)} lines but the training split has {pairs} pairs")
    try:
        return [set(parse_links(line, False, f"{path}:{n + 1}: ").sure) for n, line in enumerate(lines)]
    except LinkError as err:
        raise CorpusError(str(err)) from None


def eflomal_directions(pairs: Sequence[tuple[str, str]], work_dir: Path) -> tuple[list[set[Link]], list[set[Link]]]:
    """eflomal over the whitespace words of both sides: its forward and reverse links of every pair, both as
    (source word, target word)."""
    import eflomal  # the aligner is needed only to make links

    fwd, rev = temp_path(work_dir, "fwd.links"), temp_path(work_dir, "rev.links")
    try:
        eflomal.Aligner().align(
            [s for s, _ in pairs],
            [t for _, t in pairs],
            links_filename_fwd=str(fwd),
            links_filename_rev=str(rev),
            quiet=True,
        )
        forward, reverse = (
            [set(parse_links(line).sure) for line in path.read_text(encoding="utf-8").splitlines()]
            for path in (fwd, rev)
        )
        return forward, reverse
    finally:
        fwd.unlink(missing_ok=True)
        rev.unlink(missing_ok=True)


def eflomal_links(pairs: Sequence[tuple[str, str]], how: str, work_dir: Path) -> list[set[Link]]:
    """eflomal over the whitespace words of both sides, both directions, symmetrised by ``how``."""
    forward, reverse = eflomal_directions(pairs, work_dir)
    return [symmetrise(f, r, how) for f, r in zip(forward, reverse, strict=True)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Word links of a config's training pairs, for guided alignment.")
    parser.add_argument("--config", required=True)
    parser.add_argument("--out", help="links file (default: the config's data.alignment_links)")
    parser.add_argument("--symmetrise", choices=SYMMETRISATIONS, default="grow-diag-final")
    args = parser.parse_args(argv)
    try:
        cfg = load_config(args.config)
        out = Path(args.out or cfg.data.alignment_links or "")
        if not args.out and not cfg.data.alignment_links:
            raise CorpusError("give --out or set data.alignment_links in the config")
        data = cfg.data
        pairs = list(iter_pairs(split_paths(data, "train"), data.max_train_pairs))
        out.parent.mkdir(parents=True, exist_ok=True)
        words = [(" ".join(s.split()), " ".join(t.split())) for s, t in pairs]
        links = eflomal_links(words, args.symmetrise, out.parent)
        atomic_write_text(out, "".join(format_links(pair) + "\n" for pair in links))
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"{len(links)} pairs aligned ({args.symmetrise}) into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
