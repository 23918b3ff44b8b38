"""Draw an alignment matrix as a PNG heatmap.

Uses matplotlib's object API (no pyplot global state), so it is safe to call from several threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from matplotlib.figure import Figure

from translator.alignment.words import BOUNDARY  # SentencePiece's mark of a piece that starts a word


def piece_label(piece: str) -> str:
    """How a piece is shown to people: ``▁Hund`` (starts a word) as ``Hund``, a piece that continues a word
    as ``·rad``, a lone ``▁`` as ``␣``. The page (``serve/static/app.js``: pieceLabel) uses the same rule."""
    if piece.startswith(BOUNDARY):
        return piece[1:] or "\u2423"
    return "\u00b7" + piece


def heatmap_figure(
    source_tokens: list[str],
    target_tokens: list[str],
    alignment: list[list[float]],
    title: str | None = None,
    unit: str = "pieces",
) -> Figure:
    """The heatmap figure: source tokens along the x axis, target tokens down the y axis; ``unit`` names them
    on the axes ("pieces", labelled by ``piece_label``, or "words"). Every label is literal text: ``$`` never
    starts matplotlib mathtext.

    ``alignment`` has len(target_tokens) rows and len(source_tokens) columns.
    """
    rows, cols = len(target_tokens), len(source_tokens)
    if unit == "pieces":
        source_tokens, target_tokens = [piece_label(p) for p in source_tokens], [piece_label(p) for p in target_tokens]
    if len(alignment) != rows or any(len(r) != cols for r in alignment):
        raise ValueError(f"alignment must be {rows} x {cols} (target x source {unit})")
    width, height = max(3.0, 0.45 * cols + 1.8), max(2.5, 0.4 * rows + 1.5)
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.subplots()
    image = ax.imshow(alignment or [[0.0]], cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    literal = {"parse_math": False}
    ax.set_xticks(range(cols), source_tokens, rotation=60, ha="right", fontsize=9, **literal)
    ax.set_yticks(range(rows), target_tokens, fontsize=9, **literal)
    ax.set_xlabel(f"source {unit}")
    ax.set_ylabel(f"target {unit}")
    if title:
        ax.set_title(title, fontsize=10, **literal)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    return fig


def crop_alignment(
    source: list[str], target: list[str], matrix: list[list[float]], limit: int
) -> tuple[list[str], list[str], list[list[float]], str]:
    """The first ``limit`` tokens of each axis of an alignment (matrix: len(target) rows x len(source) columns)
    and a note saying what was left out ("" when nothing was), so a drawing stays readable and bounded."""
    if max(len(source), len(target)) <= limit:
        return source, target, matrix, ""
    note = f"first {min(limit, len(target))} x {min(limit, len(source))} of {len(target)} x {len(source)}"
    return source[:limit], target[:limit], [row[:limit] for row in matrix[:limit]], note


def render_heatmap(
    source_tokens: list[str],
    target_tokens: list[str],
    alignment: list[list[float]],
    out: str | Path | IO[bytes],
    title: str | None = None,
    unit: str = "pieces",
) -> None:
    """Write the heatmap (see ``heatmap_figure``) as a PNG to ``out``."""
    heatmap_figure(source_tokens, target_tokens, alignment, title, unit).savefig(out, format="png")
