"""How every command-line tool of the project ends on bad input: one ``error:`` line on stderr, exit status 2."""

from __future__ import annotations

import sys
from collections.abc import Callable

BAD_INPUT = 2  # the exit status of a refused input (missing or malformed file, bad option, mismatched corpora)


def bad_input(problem: BaseException | str) -> int:
    """Print ``problem`` as one ``error:`` line on stderr and return ``BAD_INPUT`` (for ``return bad_input(err)``)."""
    print(f"error: {problem}", file=sys.stderr)
    return BAD_INPUT


def status_of(work: Callable[[], object], refused: tuple[type[BaseException], ...] = (ValueError, OSError)) -> int:
    """Run ``work`` -> 0, or ``bad_input`` (one ``error:`` line, 2) when it raises one of ``refused``."""
    try:
        work()
    except refused as err:
        return bad_input(err)
    return 0
