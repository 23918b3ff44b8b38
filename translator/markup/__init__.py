"""Marked-up text (HTML or XML fragments) through translation: ``extract`` takes the tags out, the plain text
is translated, and ``marked_translation`` puts every tag back around the words its own words were aligned to."""

from translator.alignment.links import DEFAULT_LINK_RULE
from translator.markup.extract import (
    MARKUP_FORMATS,
    MAX_DEPTH,
    EmptyTag,
    InlineTag,
    Marked,
    MarkupError,
    TagOptions,
    extract,
    extract_html,
)
from translator.markup.place import Placed, marked_translation, place_tags, render

TAG_LINK_RULE = "mutual"  # the links tags follow unless a request names a rule (the better one on WPT and Multi30k)
# how tags combine both directions' links when the opposite pair's package is at hand and a request names no way
# (higher exact span match on WPT and XML-BLEU on Multi30k val both ways than one direction); ONE_DIRECTION: not
TAG_SYMMETRISE = "mean"
ONE_DIRECTION = "none"


def default_link_rule(fmt: str) -> str:
    """The word-link rule of a request of format ``fmt`` that names none: ``TAG_LINK_RULE`` for markup (its tags
    follow the links), else the plain default."""
    return TAG_LINK_RULE if fmt in MARKUP_FORMATS else DEFAULT_LINK_RULE


__all__ = [
    "MARKUP_FORMATS",
    "MAX_DEPTH",
    "ONE_DIRECTION",
    "EmptyTag",
    "InlineTag",
    "Marked",
    "MarkupError",
    "Placed",
    "TAG_LINK_RULE",
    "TAG_SYMMETRISE",
    "default_link_rule",
    "TagOptions",
    "extract",
    "extract_html",
    "marked_translation",
    "place_tags",
    "render",
]
