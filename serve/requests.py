"""Requests with every setting resolved: the one place where a request's defaults are filled in.

``serve.validation`` checks a body against the schema and keeps what the client sent (``beam_size`` may be
absent). Once the catalog has picked the package that answers, :func:`settle_translate` and
:func:`settle_heatmap` turn that body into a frozen request of concrete values: the beam width (the
request's, else the service's default, widened to the n-best size when that is larger), the n-best size and
the output flags. Everything downstream (the service, the batcher, the library) receives these values and decides
nothing again; two requests that decode alike therefore share a batcher key whether or not they named the
default beam.
"""

from __future__ import annotations

from dataclasses import dataclass

from serve.schema import ApiError
from serve.validation import HeatmapBody, TranslateBody
from translator.alignment.aligner import AlignMethod
from translator.glossary import CONSTRAIN, GLOSSARY_METHODS, Glossary, GlossaryError
from translator.markup import MARKUP_FORMATS, ONE_DIRECTION, TAG_SYMMETRISE, Marked, MarkupError, extract


@dataclass(frozen=True)
class Decoding:
    """How the sentences of one request are decoded: beam width and n-best size (1 <= n_best <= beam_size)."""

    beam_size: int
    n_best: int = 1


@dataclass(frozen=True)
class TranslateRequest:
    """A ``/v1/translate`` request ready to run: the plain texts to translate, decoding and what the answer
    includes; ``marked``: for ``format`` html or xml, each text's tags (``texts`` are then the texts without them)."""

    texts: tuple[str, ...]
    decoding: Decoding
    split: bool
    alignment: bool
    word_alignment: bool
    link_rule: str
    marked: tuple[Marked, ...] | None = None
    glossary: Glossary | None = None
    glossary_method: str = GLOSSARY_METHODS[0]  # how the glossary's terms get in (translator.glossary)
    both_directions: AlignMethod | None = None  # markup: tags placed by links of both directions, combined so

    @property
    def constrained(self) -> bool:
        """The glossary's terms are written by constrained decoding (not put in after it)."""
        return self.glossary is not None and self.glossary_method == CONSTRAIN


@dataclass(frozen=True)
class HeatmapRequest:
    """A ``/v1/heatmap`` request ready to run: one sentence, its decoding and the level drawn."""

    text: str
    decoding: Decoding
    level: str


def settle_decoding(beam_size: int | None, n_best: int | None, default_beam: int) -> Decoding:
    """The decoding of a request: its beam or ``default_beam``, widened to its n-best size (absent: 1) when
    that is larger, since a beam of K yields at most K alternatives. Both sizes are within the schema's
    limits already, so every request the published document allows is decoded."""
    count = 1 if n_best is None else n_best
    beam = max(default_beam if beam_size is None else beam_size, count)
    return Decoding(beam, count)


def _both_directions(body: TranslateBody, marked: bool, has_reverse: bool) -> AlignMethod | None:
    """How a request's tags combine both directions' links: the way it names, ``TAG_SYMMETRISE`` for markup
    that names none when the opposite pair is served, or None (one direction: ``ONE_DIRECTION`` or plain text)."""
    how = body.symmetrise or (TAG_SYMMETRISE if marked and has_reverse else None)
    return AlignMethod(body.link_rule, symmetrise=how) if how and how != ONE_DIRECTION else None


def settle_translate(
    body: TranslateBody, default_beam: int, stored: Glossary | None = None, has_reverse: bool = False
) -> TranslateRequest:
    """``body`` with its defaults filled in (``default_beam``: the answering service's), for HTML or XML its texts
    taken apart into plain text and tags (ApiError 400 when the markup cannot be read), its glossary: the
    stored one it names (``stored``) overridden by its own entries, and for markup how its links combine both
    directions (``TAG_SYMMETRISE`` when it names no way and the server holds the opposite pair: ``has_reverse``)."""
    marked = None
    if body.format in MARKUP_FORMATS:
        try:
            marked = tuple(extract(text, body.format, body.tags) for text in body.texts)
        except MarkupError as err:
            raise ApiError(400, str(err)) from None
    glossary = stored
    if body.glossary:
        try:
            own = Glossary(body.glossary)
        except GlossaryError as err:
            raise ApiError(400, f"glossary {err}") from None
        glossary = own if glossary is None else glossary.overridden_by(own)
    return TranslateRequest(
        texts=tuple(m.text for m in marked) if marked else tuple(body.texts),
        marked=marked,
        glossary=glossary,
        glossary_method=body.glossary_method,
        both_directions=_both_directions(body, marked is not None, has_reverse),
        decoding=settle_decoding(body.beam_size, body.n_best, default_beam),
        split=body.split,
        alignment=body.alignment,
        word_alignment=body.word_alignment,
        link_rule=body.link_rule,
    )


def settle_heatmap(body: HeatmapBody, default_beam: int) -> HeatmapRequest:
    """``body`` with its beam filled in (``default_beam``: the answering service's)."""
    return HeatmapRequest(body.text, settle_decoding(body.beam_size, None, default_beam), body.level)
