"""Verified downloads of corpus files, and the one error type of corpus access.

A location is an http(s) or ``file://`` URL or a local path; a download goes to a temporary name beside its
destination, is checked against the expected SHA-256 and only then renamed, so nothing half-written or
unverified is ever left behind. ``training.multi30k`` fetches Multi30k this way and ``training.sources`` a
user's pinned URLs.
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from pathlib import Path

from translator.files import sha256_file, temp_path


class CorpusError(ValueError):
    """A corpus file is missing, corrupt, or cannot be fetched."""


def is_url(location: str) -> bool:
    """True for an http(s) URL (a mirror or a corpus file), False for a local path."""
    return location.startswith(("http://", "https://"))


def _copy(location: str, dest: Path) -> None:
    """Copy ``location`` (an http(s) or ``file://`` URL, or a local path) to ``dest``."""
    if is_url(location):
        try:
            with urllib.request.urlopen(location, timeout=60) as response, open(dest, "wb") as out:
                shutil.copyfileobj(response, out)
        except (urllib.error.URLError, OSError) as err:
            raise CorpusError(f"could not download {location}: {err}") from None
        return
    source = Path(location.removeprefix("file://"))
    if not source.is_file():
        raise CorpusError(f"{source} not found")
    shutil.copyfile(source, dest)


def download_verified(location: str, expected: str, dest: Path) -> Path:
    """``dest``: a copy of ``location`` whose SHA-256 is ``expected``. An existing ``dest`` with that hash is
    kept; a download with another hash is a CorpusError and leaves nothing behind."""
    if dest.is_file() and sha256_file(dest) == expected:
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    temp = temp_path(dest.parent, dest.name)
    try:
        _copy(location, temp)
        actual = sha256_file(temp)
        if actual != expected:
            raise CorpusError(f"checksum mismatch for {location}: expected {expected}, got {actual}")
        temp.replace(dest)
    finally:
        temp.unlink(missing_ok=True)
    return dest
