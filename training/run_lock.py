"""One process at a time per run folder or output file.

Two trainings of one run (a ``make train`` left running in another terminal, two recipes sharing a step)
would write into the same checkpoints, and two back-translations into one output would interleave their
lines. The second one stops instead, with one ``error:`` line naming the holder. The lock is an ``flock``
on a file beside what it guards: the system releases it when the holding process ends, however it ends
(``kill -9`` included), so a killed run never leaves a stale lock behind.

Only the launching process takes it: the other processes of a multi-process run (torchrun, SLURM,
Lightning's own DDP launcher) work in the same folder by design.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pytorch_lightning.utilities import rank_zero_only

RUN_LOCK = ".train.lock"  # in the run folder


class InUse(ValueError):
    """What the lock guards is held by another process."""


def is_launcher() -> bool:
    """Whether this process owns the run folder: global rank 0 on node 0. Launchers set ``RANK``,
    ``LOCAL_RANK`` or ``SLURM_PROCID`` (Lightning's ``rank_zero_only.rank``) and ``NODE_RANK`` or
    ``GROUP_RANK`` in the other processes."""
    node = os.environ.get("NODE_RANK") or os.environ.get("GROUP_RANK") or "0"
    return rank_zero_only.rank == 0 and node == "0"


@contextmanager
def exclusive(lock: Path, what: str) -> Iterator[None]:
    """Hold ``lock`` (created with its folder if missing) for the ``with`` block, or raise ``InUse``
    naming ``what`` and the holder's pid when another process holds it."""
    lock.parent.mkdir(parents=True, exist_ok=True)
    with open(lock, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise InUse(f"{what} is in use by {holder}; wait for it to finish or stop it") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} (since {time.strftime('%Y-%m-%d %H:%M:%S')})")
        handle.flush()
        yield  # the lock goes with the file's closing


@contextmanager
def run_lock(run: Path) -> Iterator[None]:
    """``exclusive`` on the run folder ``run`` (made if missing) in the launching process; nothing in the
    others. ``training.train`` takes it once a run's checks have passed, so a refused run writes nothing."""
    if not is_launcher():
        yield
        return
    with exclusive(run / RUN_LOCK, f"{run} (a training run)"):
        yield
