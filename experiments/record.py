"""Append experiment records to ``experiments/results.jsonl`` (one JSON object per line).

Every record carries ``kind`` (``decode`` or ``train``), a ``name``, the ``host`` and a UTC
``time``; the tools in this folder fill the rest. The file is the machine-readable log behind
``experiments/RESULTS.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
from pathlib import Path
from typing import Any

import torch

RESULTS = Path(__file__).resolve().parent / "results.jsonl"


def hardware() -> str:
    """A short description of the device that ran the experiment."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"{platform.processor() or platform.machine()} cpu, {torch.get_num_threads()} threads"


def append(record: dict[str, Any], path: str | Path = RESULTS) -> dict[str, Any]:
    """Add host/time fields to ``record`` and append it as one line to ``path``."""
    full = {
        "time": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": platform.node(),
        "hardware": hardware(),
        **record,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(full, ensure_ascii=False) + "\n")
    return full
