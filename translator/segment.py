"""Sentence splitting of paragraphs and documents, and putting the translated sentences back together.

A text is cut at its line breaks first, and every line into sentences by sentencex (Wikimedia's rule-based
segmenter for about 300 languages, with each language's abbreviations). A sentence is a span
``[start, end)`` of the text without the whitespace around it; everything between two sentences (spaces,
line breaks, indentation) is a *gap* that reassembly copies unchanged, so the spans and the gaps together
cover every character of the text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from sentencex import get_sentence_boundaries

from translator.tokenizer import Span

LINE = re.compile(r"[^\n]*")  # each line without its "\n" (an empty match between consecutive line breaks)


def _strip(text: str, start: int, end: int) -> Span | None:
    """``[start, end)`` without surrounding whitespace; None when nothing is left."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def sentence_spans(text: str, lang: str, split: bool = True, lines: bool = False) -> list[Span]:
    """The sentences of ``text`` (in language ``lang``, an ISO 639 code) as character spans, in order.

    ``split`` False: the whole text is one sentence (its non-blank part), or with ``lines`` each line is (marked-up
    text, whose line breaks are tags that must stay between sentences). A blank text has none."""
    if not split and not lines:
        whole = _strip(text, 0, len(text))
        return [whole] if whole else []
    spans: list[Span] = []
    for line in LINE.finditer(text):
        if not line.group().strip():
            continue
        if not split:
            spans.append(_strip(text, line.start(), line.end()))  # non-blank: never None
            continue
        for boundary in get_sentence_boundaries(lang, line.group()):
            span = _strip(text, line.start() + boundary["start_index"], line.start() + boundary["end_index"])
            if span:
                spans.append(span)
    return spans


def reassemble(text: str, spans: Sequence[Span], translations: Sequence[str]) -> tuple[str, list[Span]]:
    """The translated text: every gap of ``text`` between (and around) the sentence ``spans`` kept as it
    is and every sentence replaced by its translation -> (translated text, each translation's span in it).
    A text without sentences translates to the empty string."""
    if len(spans) != len(translations):
        raise ValueError(f"{len(spans)} sentences but {len(translations)} translations")
    if not spans:
        return "", []
    parts: list[str] = []
    out_spans: list[Span] = []
    length, previous = 0, 0
    for (start, end), translated in zip(spans, translations):
        gap = text[previous:start]
        parts += [gap, translated]
        out_spans.append((length + len(gap), length + len(gap) + len(translated)))
        length += len(gap) + len(translated)
        previous = end
    parts.append(text[previous:])
    return "".join(parts), out_spans


__all__ = ["Span", "reassemble", "sentence_spans"]
