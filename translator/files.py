"""File helpers shared by the library and training: text lines read strictly, content hashes and atomic
writes.

An atomic write goes to a temporary file beside its destination (same file system) and is renamed
over it, so a reader or an interrupted run never sees a half-written file.
"""

from __future__ import annotations

import hashlib
import os
import sys
import tempfile
from pathlib import Path

CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes (read in 1 MiB chunks)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(CHUNK), b""):
            digest.update(block)
    return digest.hexdigest()


def temp_path(directory: str | Path, name: str) -> Path:
    """A fresh, empty temporary file ``directory/.<name>.*.tmp`` (same file system as its destination)."""
    handle, temp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=directory)
    os.close(handle)
    return Path(temp)


def atomic_write_bytes(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically; the temporary file is removed on any failure."""
    path = Path(path)
    temp = temp_path(path.parent, path.name)
    try:
        temp.write_bytes(data)
        temp.replace(path)
    finally:
        temp.unlink(missing_ok=True)
    return path


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` as UTF-8 to ``path`` atomically (newlines as given)."""
    return atomic_write_bytes(path, text.encode("utf-8"))


class TextFileError(ValueError):
    """A text input that cannot be read: a missing file, or bytes that are not UTF-8."""


def read_lines(path: str | Path) -> list[str]:
    """The lines of a UTF-8 text file without their newlines (TextFileError naming the file otherwise)."""
    path = Path(path)
    if not path.is_file():
        raise TextFileError(f"file not found: {path}")
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise TextFileError(f"{path}: not UTF-8 text ({err})") from None


def read_stdin_lines() -> list[str]:
    """The lines of standard input, decoded strictly as UTF-8 (Python's own decoding would carry bad bytes on
    as lone surrogates)."""
    try:
        return sys.stdin.buffer.read().decode("utf-8").splitlines()
    except UnicodeDecodeError as err:
        raise TextFileError(f"standard input is not UTF-8 text (byte {err.start})") from None
