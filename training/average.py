"""Checkpoint averaging: the element-wise mean of the model weights of several checkpoints.

Averaging the last few epochs' weights (kept by ``train.keep_epoch_checkpoints``) smooths the noise
of the final updates; ``train.average_last_epochs`` makes ``make train`` export such an average.

    python -m training.average --out runs/NAME/checkpoints/averaged.ckpt A.ckpt B.ckpt [...]
    python -m training.average --out averaged.ckpt --last 5 --run runs/NAME
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import torch
from torch import Tensor

from training.paths import checkpoint_dir
from translator.errors import bad_input
from translator.files import atomic_write_bytes

PREFIX = "model."


def epoch_checkpoints(run: str | Path) -> list[Path]:
    """The run's ``checkpoints/epoch-NN.ckpt`` files, oldest epoch first."""
    return sorted(checkpoint_dir(Path(run)).glob("epoch-*.ckpt"))


def last_epochs(run: str | Path, n: int) -> list[Path]:
    """The last ``n`` epoch checkpoints of ``run`` (none for ``n`` 0): what ``train.average_last_epochs`` averages."""
    return epoch_checkpoints(run)[-n:] if n > 0 else []


def _model_weights(path: Path) -> dict[str, Tensor]:
    if not path.is_file():
        raise ValueError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=False)["state_dict"]
    except (KeyError, TypeError, RuntimeError, EOFError) as err:
        raise ValueError(f"{path}: not a Lightning checkpoint with a state_dict ({err!r})") from None
    return {k: v for k, v in state.items() if k.startswith(PREFIX)}


def average_checkpoints(paths: list[str | Path]) -> dict[str, Tensor]:
    """The mean of the ``model.*`` weights of ``paths`` (floating tensors; others from the last one).

    Raises ValueError when a file is missing or the checkpoints hold different parameters/shapes."""
    if not paths:
        raise ValueError("no checkpoints to average")
    total: dict[str, Tensor] = {}
    for i, path in enumerate(map(Path, paths)):
        weights = _model_weights(path)
        if i and (weights.keys() != total.keys() or any(weights[k].shape != total[k].shape for k in total)):
            raise ValueError(f"{path}: its parameters differ from {paths[0]} (not the same model)")
        for key, value in weights.items():
            if value.is_floating_point():
                total[key] = total[key] + value.double() if i else value.double()
            else:
                total[key] = value
    return {k: (v / len(paths)).float() if v.is_floating_point() else v for k, v in total.items()}


def write_average(paths: list[str | Path], out: str | Path) -> Path:
    """Average ``paths`` into a checkpoint at ``out`` that ``training.export`` reads like any other."""
    state = average_checkpoints(paths)
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    torch.save({"state_dict": state, "averaged_from": [str(p) for p in paths]}, buffer)
    return atomic_write_bytes(out, buffer.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Average the weights of several checkpoints.")
    parser.add_argument("checkpoints", nargs="*", help="checkpoint files")
    parser.add_argument("--run", help="a run folder: average its last --last epoch-NN.ckpt files")
    parser.add_argument("--last", type=int, default=5)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    try:
        paths = list(args.checkpoints)
        if args.run:
            if args.last < 1:
                raise ValueError("--last must be >= 1")
            paths += epoch_checkpoints(args.run)[-args.last :]
        out = write_average(paths, args.out)
    except (ValueError, OSError) as err:
        return bad_input(err)
    print(f"averaged {len(paths)} checkpoints into {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
