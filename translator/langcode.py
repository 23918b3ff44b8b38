"""Language codes: the one rule for every code the project reads (training configs, package metadata,
request fields, routing).

A code is a BCP 47 language tag (RFC 5646), read case-insensitively with ``_`` taken as ``-``, and kept in
its canonical form: ``PT_br`` -> ``pt-BR``, ``zh-hant`` -> ``zh-Hant``, ``deu`` -> ``de``. The ``langcodes``
library knows the registry (scripts, regions, deprecated and three-letter codes); nothing here is a regex of
our own.
"""

from __future__ import annotations

import langcodes

MAX_CODE_CHARS = 35  # RFC 5646 section 4.4.1: a tag of 35 characters is enough for any language


class LanguageCodeError(ValueError):
    """A string that is not a BCP 47 language tag."""


def normalise_code(code: str) -> str:
    """The canonical BCP 47 form of ``code`` (LanguageCodeError, naming it, when it is not a valid tag)."""
    tag = code.strip().replace("_", "-")
    if not tag or len(tag) > MAX_CODE_CHARS or not tag.isascii() or not langcodes.tag_is_valid(tag):
        raise LanguageCodeError(f"{code[:40]!r} is not a BCP 47 language code such as 'en', 'pt-BR' or 'zh-Hant'")
    return langcodes.standardize_tag(tag)
