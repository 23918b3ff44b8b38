"""Guided alignment (Chen et al. 2016; Marian's ``--guided-alignment``): word links of the training pairs
become per-piece attention targets, and an auxiliary loss pulls the attention toward them.

Links are made by eflomal over the words of the raw training text (``data.alignment_words``: whitespace
words, or lowercased Moses tokens; ``training.link_words``), both directions, symmetrised:

    python -m training.guided --config configs/en-fr.yaml [--out runs/en-fr/train.links] [--symmetrise union]

writes one line of Pharaoh links (``i-j``, 0-indexed source word i, target word j) per training pair, in the
order ``load_pairs`` reads them. With ``data.alignment_links`` naming that file and
``train.guided_alignment_weight`` > 0, each training target piece of target word j gets as its target row the
uniform distribution over the source pieces of the words linked to j; the loss adds the weight times the
cross-entropy between those rows and the attention. Target pieces without a link (and EOS) are not guided,
or with ``train.guided_unlinked: uniform`` are pulled toward uniform attention (``guide_unlinked``).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

import torch
from torch import Tensor

from training.config import load_config
from training.downloads import CorpusError
from training.link_words import WHITESPACE, Words, WordSplitError, pieces_of_words
from training.sources import split_paths, train_pairs
from translator.alignment.links import SYMMETRISATIONS, Link, LinkError, format_links, parse_links, symmetrise
from translator.errors import bad_input
from translator.files import atomic_write_text, temp_path
from translator.tokenizer import Tokenizer

PieceLinks = tuple[tuple[int, int], ...]  # (target piece, source piece)


def piece_links(
    tokenizer: Tokenizer, source: str, target: str, links: set[Link], words: Words = WHITESPACE
) -> PieceLinks:
    """Word links (source word, target word) -> (target piece, source piece) pairs of the sentence's own
    pieces (those of ``encode_source``/``encode_target``); () when the target's pieces do not decode to its
    words (text the tokenizer normalises) or its words cannot be found."""
    ids = tokenizer.encode_target(target)
    decoded, tgt_pieces = tokenizer.target_piece_spans(ids)
    if decoded.split() != target.split():
        return ()
    try:
        src_words = pieces_of_words(words.spans(source, False), tokenizer.source_piece_spans(source))
        tgt_words = pieces_of_words(words.spans(decoded, True), tgt_pieces)
    except WordSplitError:
        return ()
    pairs = {
        (t, s)
        for i, j in links
        if i < len(src_words) and j < len(tgt_words)
        for t in tgt_words[j]
        for s in src_words[i]
    }
    return tuple(sorted(pairs))


def guide_unlinked(links: PieceLinks, src_len: int, steps: int) -> PieceLinks:
    """A pair's piece links -> the same plus, for every target step in [0, steps) (its pieces and EOS) that no
    link reaches, a link to each of its ``src_len`` source pieces, so that ``guide_tensor`` makes that row
    uniform over the source (``train.guided_unlinked: uniform``). A pair without links, ``()``, stays unguided.
    The order of the pairs does not matter to ``guide_tensor``."""
    if not links:
        return links
    linked = {t for t, _ in links}
    return links + tuple((t, s) for t in range(steps) if t not in linked for s in range(src_len))


def guide_tensor(links: Sequence[PieceLinks], steps: int, width: int) -> Tensor:
    """Per-example piece links -> attention targets (B, steps, width): a guided row is uniform over its linked
    source pieces, an unguided row is all zeros."""
    guide = torch.zeros(len(links), steps, width)
    index = [(b, t, s) for b, pairs in enumerate(links) for t, s in pairs]
    if index:
        batch, step, source = torch.tensor(index, dtype=torch.long).unbind(dim=1)  # each (links,)
        guide[batch, step, source] = 1.0
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


def existing_links_file(path: str | Path) -> Path:
    """``path`` as a Path; CorpusError saying how to make it when there is no such file."""
    path = Path(path)
    if not path.is_file():
        raise CorpusError(f"alignment links file not found: {path} (make it with python -m training.guided)")
    return path


def read_links(path: str | Path, pairs: int) -> list[set[Link]]:
    """The links file for ``pairs`` training pairs, 0-indexed; a different line count is a CorpusError."""
    lines = existing_links_file(path).read_text(encoding="utf-8").splitlines()
    if len(lines) != pairs:
        raise CorpusError(f"{path} has {len(lines)} lines but the training split has {pairs} pairs")
    try:
        return [set(parse_links(line, False, f"{path}:{n + 1}: ").sure) for n, line in enumerate(lines)]
    except LinkError as err:
        raise CorpusError(str(err)) from None


def eflomal_directions(pairs: Sequence[tuple[str, str]], work_dir: Path) -> tuple[list[set[Link]], list[set[Link]]]:
    """eflomal over the space-separated words of both sides: its forward and reverse links of every pair, both as
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
    """eflomal over the space-separated words of both sides, both directions, symmetrised by ``how``."""
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
        pairs = list(train_pairs(data, split_paths(data, "train"), tagged=False))
        out.parent.mkdir(parents=True, exist_ok=True)
        unit = Words(data.alignment_words, data.src_lang, data.tgt_lang)
        words = [(unit.for_aligner(s, False), unit.for_aligner(t, True)) for s, t in pairs]
        links = eflomal_links(words, args.symmetrise, out.parent)
        atomic_write_text(out, "".join(format_links(pair) + "\n" for pair in links))
    except (ValueError, OSError) as err:
        return bad_input(err)
    print(f"{len(links)} pairs aligned ({args.symmetrise}) into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
