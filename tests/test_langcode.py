"""One language-code rule: BCP 47 tags read case-insensitively, ``_`` as ``-``, kept canonical."""

from __future__ import annotations

import pytest

from translator.langcode import LanguageCodeError, normalise_code


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("en", "en"), ("DE", "de"), ("pt_br", "pt-BR"), ("PT-br", "pt-BR"), ("zh-hant", "zh-Hant"), ("deu", "de")],
)
def test_codes_are_read_one_way(given: str, canonical: str) -> None:
    assert normalise_code(given) == canonical


@pytest.mark.parametrize("given", ["", "e", "english", "xx", "pt-BR!", "d e", "ü", "a" * 40])
def test_what_is_not_a_tag_is_refused_by_name(given: str) -> None:
    with pytest.raises(LanguageCodeError, match="not a BCP 47 language code"):
        normalise_code(given)
