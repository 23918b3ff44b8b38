"""MkDocs hook: the site's home page is the README itself, so the two never drift apart.

The README links to ``docs/<page>.md``; on the site the pages sit beside the home page, so the prefix goes.
"""

from __future__ import annotations

import re
from pathlib import Path

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import File, Files

README = Path(__file__).with_name("README.md")
DOCS_LINK = re.compile(r"\]\(docs/")


def home_page(readme: str) -> str:
    """The README's markdown with its ``](docs/…)`` links made relative to the docs folder."""
    return DOCS_LINK.sub("](", readme)


def on_files(files: Files, config: MkDocsConfig) -> Files:
    """Adds ``index.md``, generated from the README (``docs/`` holds no copy of it)."""
    files.append(File.generated(config, "index.md", content=home_page(README.read_text(encoding="utf-8"))))
    return files
