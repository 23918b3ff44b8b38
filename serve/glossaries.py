"""Glossaries stored on the server: ``--glossary-dir DIR`` holds one TSV file a glossary, named
``<name>.<source>.<target>.tsv`` (``medical.de.en.tsv``: the glossary ``medical`` of de->en), one
``source<TAB>target`` entry a line. They are read at start-up: a file that is not UTF-8, not two columns, or
holds refused entries stops the server with one line naming the file and line. A request names one with
``glossary_id``; its own ``glossary`` entries win where the two disagree.
"""

from __future__ import annotations

import re
from pathlib import Path

from serve.routing import Pair
from translator.glossary import Glossary, GlossaryError, read_glossary_file
from translator.langcode import LanguageCodeError, normalise_code

NAME = "[A-Za-z0-9_]{1,64}"  # a glossary's name: its glossary_id
NAME_PATTERN = f"^{NAME}$"  # the schema's rule for glossary_id
FILE_NAME = re.compile(rf"(?P<name>{NAME})\.(?P<source>[A-Za-z0-9_-]+)\.(?P<target>[A-Za-z0-9_-]+)\.tsv")


def _pair(path: Path) -> tuple[str, Pair]:
    """The glossary name and the (canonical) language pair of a file name (GlossaryError otherwise)."""
    match = FILE_NAME.fullmatch(path.name)
    if match is None:
        raise GlossaryError(f"{path}: glossary files are named <name>.<source>.<target>.tsv (medical.de.en.tsv)")
    try:
        return match["name"], (normalise_code(match["source"]), normalise_code(match["target"]))
    except LanguageCodeError as err:
        raise GlossaryError(f"{path}: {err}") from None


def load_glossaries(folder: str) -> dict[Pair, dict[str, Glossary]]:
    """Every glossary of ``folder`` by language pair and name ({} when ``folder`` is empty)."""
    if not folder:
        return {}
    root = Path(folder)
    if not root.is_dir():
        raise GlossaryError(f"glossary folder not found: {root}")
    found: dict[Pair, dict[str, Glossary]] = {}
    for path in sorted(root.glob("*.tsv")):
        name, pair = _pair(path)
        found.setdefault(pair, {})[name] = read_glossary_file(path)
    return found
