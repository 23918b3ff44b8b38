"""Draw an alignment matrix as a PNG heatmap.

Uses matplotlib's object API (no pyplot global state), so it is safe to call from several threads.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from matplotlib.figure import Figure


def render_heatmap(
    source_tokens: list[str],
    target_tokens: list[str],
    alignment: list[list[float]],
    out: str | Path | IO[bytes],
    title: str | None = None,
) -> None:
    """Write a PNG: source pieces along the x axis, target pieces down the y axis.

    ``alignment`` has len(target_tokens) rows and len(source_tokens) columns.
    """
    rows, cols = len(target_tokens), len(source_tokens)
    if len(alignment) != rows or any(len(r) != cols for r in alignment):
        raise ValueError(f"alignment must be {rows} x {cols} (target x source pieces)")
    width, height = max(3.0, 0.45 * cols + 1.8), max(2.5, 0.4 * rows + 1.5)
    fig = Figure(figsize=(width, height), dpi=100)
    ax = fig.subplots()
    image = ax.imshow(alignment or [[0.0]], cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_xticks(range(cols), source_tokens, rotation=60, ha="right", fontsize=9)
    ax.set_yticks(range(rows), target_tokens, fontsize=9)
    ax.set_xlabel("source pieces")
    ax.set_ylabel("target pieces")
    if title:
        ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, fraction=0.04)
    fig.tight_layout()
    fig.savefig(out, format="png")
